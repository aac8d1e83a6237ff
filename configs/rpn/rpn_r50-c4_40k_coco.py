# Table 1(a): single-scale RPN on C4, the five anchor sizes on one level.
# Paper: AR100 36.1, AR1k 48.3 (s/m/l 32.0 / 58.7 / 62.2).
_base_ = [
    '../_base_/models/rpn_r50-c4.py',
    '../_base_/datasets/coco_rpn.py',
    '../_base_/schedules/paper_40k.py',
    '../_base_/iter_runtime.py',
]
