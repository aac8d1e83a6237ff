# Single-scale Fast R-CNN baseline on C4 (Table 2(a), 3(a)): RoIs pooled from C4
# (stride 16) to 14x14, then "all conv5 layers" as the head (a ResNet conv5 stage,
# stride 2 -> 7x7) and global average pooling before classification/regression, as
# in He et al. and Detectron's C4 models. RoI max pooling as in the paper.
_base_ = './fast-rcnn_r50_paper-fpn.py'

model = dict(
    backbone=dict(num_stages=3, strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(2, )),
    neck=None,
    roi_head=dict(
        shared_head=dict(type='ResLayer', depth=50, stage=3, stride=2, dilation=1,
                         style='pytorch', norm_cfg=dict(type='BN', requires_grad=True),
                         norm_eval=True,
                         init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
        bbox_roi_extractor=dict(roi_layer=dict(output_size=14), out_channels=1024,
                                featmap_strides=[16]),
        bbox_head=dict(
            _delete_=True, type='BBoxHead', with_avg_pool=True, roi_feat_size=7,
            in_channels=2048, num_classes=80,
            bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                            target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False,
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))))
