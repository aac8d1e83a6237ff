# Table 3(c) on real images: the tiny FPN Faster R-CNN (ResNet-18 from scratch, d = 64,
# anchors 16..256, canonical scale 112, as configs/tiny/faster-rcnn_r18_paper-fpn_tiny.py;
# mmengine bases cannot share keys, so the model block is repeated) on the tree-crown
# tiles, one class. `make real` builds data/trees/ first.
_base_ = [
    '../_base_/models/faster-rcnn_r50_paper-fpn.py',
    '../_base_/datasets/trees.py',
    '../_base_/schedules/trees.py',
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
        bbox_head=dict(in_channels=d, fc_out_channels=512, num_classes=1)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=1000, max_per_img=1000),
                   rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=1000, max_per_img=300)))
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(interval=10, max_keep_ckpts=2, save_last=True))
log_processor = dict(window_size=20)
randomness = dict(seed=0)
