# Mask R-CNN with the paper's components on the tiny set's masks: the tiny FPN Faster
# R-CNN (configs/tiny/faster-rcnn_r18_paper-fpn_tiny.py: R-18 from scratch, d = 64,
# anchors 16..256, canonical scale 112) plus mmdet's FCN mask head (4 convs of d
# channels, 28x28 masks) on 14x14 RoIs pooled by PaperRoIExtractor. Box and mask AP.
_base_ = [
    '../_base_/models/faster-rcnn_r50_paper-fpn.py',
    '../_base_/datasets/tiny_masks.py',
    '../_base_/schedules/tiny.py',
    '../_base_/default_runtime.py',
]
d = 64
model = dict(
    backbone=dict(depth=18, frozen_stages=-1, norm_eval=False, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=d),
    rpn_head=dict(in_channels=d, feat_channels=d,
                  anchor_generator=dict(anchor_sizes=[16, 32, 64, 128, 256])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=d, canonical_scale=112,
                                roi_layer=dict(_delete_=True, type='RoIAlign',
                                               output_size=7, sampling_ratio=0)),
        bbox_head=dict(in_channels=d, fc_out_channels=512, num_classes=4),
        mask_roi_extractor=dict(type='PaperRoIExtractor', out_channels=d, canonical_scale=112,
                                roi_layer=dict(type='RoIAlign', output_size=14,
                                               sampling_ratio=0),
                                featmap_strides=[4, 8, 16, 32]),
        mask_head=dict(type='FCNMaskHead', num_convs=4, in_channels=d, conv_out_channels=d,
                       num_classes=4,
                       loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))),
    train_cfg=dict(rpn_proposal=dict(nms_pre=1000, max_per_img=1000),
                   rcnn=dict(sampler=dict(num=128), mask_size=28)),
    test_cfg=dict(rpn=dict(nms_pre=1000, max_per_img=300), rcnn=dict(mask_thr_binary=0.5)))
val_evaluator = dict(metric=['bbox', 'segm'])
test_evaluator = val_evaluator
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(interval=6, max_keep_ckpts=1, save_last=True))
log_processor = dict(window_size=20)
randomness = dict(seed=0)
