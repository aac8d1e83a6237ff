# Table 1(c) on the embedded tiny dataset: RPN on {P2..P6}, ResNet-18 from scratch.
# Same CPU sizing as faster-rcnn_r18_paper-fpn_tiny.py (d = 64, anchors and
# canonical scale halved for objects 2-4x smaller than COCO's); same seed and
# schedule as every tiny row. Reports AR@100 / AR@1000 with s/m/l as Table 1.
_base_ = [
    '../_base_/models/rpn_r50_paper-fpn.py',
    '../_base_/datasets/tiny.py',
    '../_base_/schedules/tiny.py',
    '../_base_/default_runtime.py',
]
d = 64
model = dict(
    backbone=dict(depth=18, frozen_stages=-1, norm_eval=False, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=d),
    rpn_head=dict(in_channels=d, feat_channels=d,
                  anchor_generator=dict(anchor_sizes=[16, 32, 64, 128, 256])))
val_evaluator = dict(metric='proposal', proposal_nums=(100, 300, 1000))
test_evaluator = val_evaluator
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(interval=6, max_keep_ckpts=1, save_last=True))
log_processor = dict(window_size=20)
randomness = dict(seed=0)
