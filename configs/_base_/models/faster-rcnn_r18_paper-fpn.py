# Faster R-CNN with the paper's FPN sized for 2 CPU cores (the demo's model, the tiny
# and tree-crown rows of Table 3). Deviations from the paper's model
# (./faster-rcnn_r50_paper-fpn.py):
#   - ResNet-18 from scratch (runs offline: no ImageNet weights), BN trained.
#   - Objects 2-4x smaller than COCO's at 800 px (tiny: 6..200 px in 320 px images):
#     anchor sizes (16..256 instead of 32..512) and Eq. (1)'s canonical scale (112
#     instead of 224) are halved, so each level keeps the paper's object sizes
#     relative to its stride. Restore with anchor_sizes=[32, ..., 512] and
#     canonical_scale=224.
#   - d = 64 channels and 512-d fc layers instead of 256 / 1024; 128 sampled RoIs
#     and 1000 / 300 proposals per image; RoIAlign (mmdet's choice) instead of
#     the paper's RoIPool: `roi_layer=dict(type='RoIPool', output_size=7,
#     round_rois=True)` restores it.
# Four classes (the tiny set's shapes); a leaf sets its dataset's num_classes.
_base_ = './faster-rcnn_r50_paper-fpn.py'
model = dict(
    backbone=dict(depth=18, frozen_stages=-1, norm_eval=False, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=64),
    rpn_head=dict(in_channels=64, feat_channels=64,
                  anchor_generator=dict(anchor_sizes=[16, 32, 64, 128, 256])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64, canonical_scale=112,
                                roi_layer=dict(_delete_=True, type='RoIAlign',
                                               output_size=7, sampling_ratio=0)),
        bbox_head=dict(in_channels=64, fc_out_channels=512, num_classes=4)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=1000, max_per_img=1000),
                   rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=1000, max_per_img=300)))
