# Table 3(a)'s model sized for CPUs: single-scale Faster R-CNN on C4: RPN on C4 with
# all five anchor sizes, RoIs pooled from C4 to 14x14, the conv5 stage as the head
# (ResNet-18's layer4, 512 channels) and average pooling, as ./fast-rcnn_r50-c4.py
# does for ResNet-50. RPN and detector share features and train end to end.
_base_ = './faster-rcnn_r18_paper-fpn.py'
model = dict(
    backbone=dict(num_stages=3, strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(2, )),
    neck=None,
    rpn_head=dict(in_channels=256, feat_channels=256,
                  anchor_generator=dict(anchor_sizes=[[16, 32, 64, 128, 256]], strides=[16])),
    roi_head=dict(
        shared_head=dict(type='ResLayer', depth=18, stage=3, stride=2, dilation=1,
                         style='pytorch', norm_cfg=dict(type='BN', requires_grad=True),
                         norm_eval=False),
        bbox_roi_extractor=dict(roi_layer=dict(output_size=14), out_channels=256,
                                featmap_strides=[16]),
        bbox_head=dict(_delete_=True, type='BBoxHead', with_avg_pool=True, roi_feat_size=7,
                       in_channels=512, num_classes=4,
                       bbox_coder=dict(type='DeltaXYWHBBoxCoder',
                                       target_means=[0., 0., 0., 0.],
                                       target_stds=[0.1, 0.1, 0.2, 0.2]),
                       reg_class_agnostic=False,
                       loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                     loss_weight=1.0),
                       loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))))
