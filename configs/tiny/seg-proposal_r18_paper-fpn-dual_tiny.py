# Table 6 on tiny: FPN segment proposals, dual MLP [5x5, 7x7], 14x14 masks.
# ResNet-18 from scratch and the tiny CPU sizing (d = 64, MLP hidden width 128; the
# paper: d = 128, R-50, hidden 512); same seed and schedule as every tiny row.
# Reports class-agnostic mask AR@100 / AR@1000 with s/m/l (SegmProposalMetric).
_base_ = [
    '../_base_/models/seg-proposal_r50_paper-fpn.py',
    '../_base_/datasets/tiny_masks.py',
    '../_base_/schedules/tiny.py',
    '../_base_/tiny_runtime.py',
]
model = dict(
    backbone=dict(depth=18, frozen_stages=-1, norm_eval=False, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=64),
    bbox_head=dict(in_channels=64, hidden_channels=128))
val_evaluator = dict(_delete_=True, type='SegmProposalMetric',
                     ann_file='data/tiny/annotations/instances_val.json',
                     proposal_nums=(100, 300, 1000))
test_evaluator = val_evaluator
