# The ResNet-101 model of Tables 4 and 5: Faster R-CNN with the paper's FPN on
# ResNet-101, features shared between RPN and detector (trained end to end; the
# paper used 4-step training). Paper: Table 5 shared, AP 35.2, AP@0.5 58.2 (COCO
# minival); Table 4, test-dev single model: AP 36.2, AP@0.5 59.1, AP_s/m/l
# 18.2 / 39.0 / 48.2. 0.172 s per image on one M40.
_base_ = './faster-rcnn_r50_paper-fpn_80k_coco.py'
model = dict(backbone=dict(depth=101,
                           init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))
