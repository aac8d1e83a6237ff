# Table 1(c) on real images: the tiny FPN RPN (ResNet-18 from scratch, d = 64, anchors
# 16..256 on {P2..P6}, as configs/tiny/rpn_r18_paper-fpn_tiny.py) on the tree-crown tiles,
# with the tree schedule. Reports AR@100 / AR@1000 with s/m/l as Table 1.
_base_ = [
    '../_base_/models/rpn_r50_paper-fpn.py',
    '../_base_/datasets/trees.py',
    '../_base_/schedules/trees.py',
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
                     checkpoint=dict(interval=10, max_keep_ckpts=2, save_last=True))
log_processor = dict(window_size=20)
randomness = dict(seed=0)
