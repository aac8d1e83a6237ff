# The main job (`make demo`): Faster R-CNN with the paper's FPN on the embedded
# tiny dataset, ResNet-18 trained from scratch on a CPU.
# Sized for 2 CPU cores; deviations from the paper's model (faster-rcnn_r50_paper-fpn):
#   - ResNet-18 from scratch (runs offline: no ImageNet weights), BN trained.
#   - Tiny objects (6..200 px in 320 px images) are 2-4x smaller than COCO's at
#     800 px: anchor sizes (16..256 instead of 32..512) and Eq. (1)'s canonical
#     scale (112 instead of 224) are halved, so each level keeps the paper's
#     object sizes relative to its stride. Restore with anchor_sizes=[32, ..., 512]
#     and canonical_scale=224.
#   - d = 64 channels and 512-d fc layers instead of 256 / 1024; 128 sampled RoIs
#     and 1000 / 300 proposals per image; RoIAlign (mmdet's choice) instead of
#     the paper's RoIPool: `roi_layer=dict(type='RoIPool', output_size=7,
#     round_rois=True)` restores it.
_base_ = [
    '../_base_/models/faster-rcnn_r50_paper-fpn.py',
    '../_base_/datasets/tiny.py',
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
        bbox_head=dict(in_channels=d, fc_out_channels=512, num_classes=4)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=1000, max_per_img=1000),
                   rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=1000, max_per_img=300)))

default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(interval=4, max_keep_ckpts=2, save_last=True))
log_processor = dict(window_size=20)
randomness = dict(seed=0)
