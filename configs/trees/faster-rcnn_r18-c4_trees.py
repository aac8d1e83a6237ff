# Table 3(a) on real images: single-scale Faster R-CNN on C4 (RPN on C4, RoIs pooled
# from C4 to 14x14, ResNet-18's conv5 stage as the head), as
# configs/tiny/faster-rcnn_r18-c4_tiny.py, on the tree-crown tiles, one class.
_base_ = './faster-rcnn_r18_paper-fpn_trees.py'
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
                       in_channels=512, num_classes=1,
                       bbox_coder=dict(type='DeltaXYWHBBoxCoder',
                                       target_means=[0., 0., 0., 0.],
                                       target_stds=[0.1, 0.1, 0.2, 0.2]),
                       reg_class_agnostic=False,
                       loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                     loss_weight=1.0),
                       loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))))
