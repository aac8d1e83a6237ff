# Table 2(a): single-scale Fast R-CNN on C4, on the fixed proposals of Table 1(c).
# Paper: AP 31.9, AP@0.5 54.7 (s/m/l 15.7 / 36.5 / 45.5).
_base_ = [
    '../_base_/models/fast-rcnn_r50-c4.py',
    '../_base_/datasets/coco_proposals.py',
    '../_base_/schedules/paper_80k.py',
    '../_base_/iter_runtime.py',
]
