# Table 1(c): RPN on the feature pyramid {P2..P6}, one anchor size per level.
# Paper: AR100 44.0, AR1k 56.3 (s/m/l 44.9 / 63.4 / 66.2).
_base_ = [
    '../_base_/models/rpn_r50_paper-fpn.py',
    '../_base_/datasets/coco_rpn.py',
    '../_base_/schedules/paper_40k.py',
    '../_base_/iter_runtime.py',
]
