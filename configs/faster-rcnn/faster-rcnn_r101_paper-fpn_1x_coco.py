# mmdet's faster-rcnn_r101_fpn_1x_coco (box AP 39.4) with the paper's components
# swapped in, as faster-rcnn_r50_paper-fpn_1x_coco.py does for ResNet-50.
_base_ = './faster-rcnn_r50_paper-fpn_1x_coco.py'
model = dict(backbone=dict(depth=101,
                           init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))
