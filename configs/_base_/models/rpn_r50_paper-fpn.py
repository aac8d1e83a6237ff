# RPN with the paper's FPN (Lin et al. 2017, Sec. 4.1, Table 1(c)), ResNet-50.
# mmdet's stock R50-FPN RPN with mmfpn's neck and anchors. Paper settings:
# 256 anchors sampled per image, IoU > 0.7 positive / < 0.3 negative, anchors that
# cross the image border kept for training (allowed_border=-1, Sec. 5.1); smooth L1
# with beta 1/9 as in Detectron (mmdet's default is L1).
custom_imports = dict(imports=['mmfpn'], allow_failed_imports=False)
_base_ = 'mmdet::_base_/models/rpn_r50_fpn.py'

model = dict(
    neck=dict(_delete_=True, type='PaperFPN', in_channels=[256, 512, 1024, 2048],
              out_channels=256, num_outs=5),
    rpn_head=dict(
        anchor_generator=dict(_delete_=True, type='PaperAnchorGenerator',
                              anchor_sizes=[32, 64, 128, 256, 512],
                              strides=[4, 8, 16, 32, 64], ratios=[0.5, 1.0, 2.0]),
        loss_bbox=dict(_delete_=True, type='SmoothL1Loss', beta=1.0 / 9.0, loss_weight=1.0)),
    train_cfg=dict(rpn=dict(allowed_border=-1)),
    # Table 1 reports AR@100 and AR@1000: keep 1000 proposals per image. NMS one
    # level at a time: the same boxes, faster on CPU (faster-rcnn_r50_paper-fpn.py).
    test_cfg=dict(rpn=dict(nms_pre=1000, max_per_img=1000, nms=dict(split_thr=0))))
