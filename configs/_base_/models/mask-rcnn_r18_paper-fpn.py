# Mask R-CNN with the paper's components sized for CPUs: the tiny FPN Faster R-CNN
# (./faster-rcnn_r18_paper-fpn.py) plus mmdet's FCN mask head (4 convs of d = 64
# channels, 28x28 masks) on 14x14 RoIs pooled by PaperRoIExtractor.
_base_ = './faster-rcnn_r18_paper-fpn.py'
model = dict(
    roi_head=dict(
        mask_roi_extractor=dict(type='PaperRoIExtractor', out_channels=64, canonical_scale=112,
                                roi_layer=dict(type='RoIAlign', output_size=14,
                                               sampling_ratio=0),
                                featmap_strides=[4, 8, 16, 32]),
        mask_head=dict(type='FCNMaskHead', num_convs=4, in_channels=64, conv_out_channels=64,
                       num_classes=4,
                       loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))),
    train_cfg=dict(rcnn=dict(mask_size=28)),
    test_cfg=dict(rcnn=dict(mask_thr_binary=0.5)))
