# Table 2(b): single-scale Fast R-CNN on C5, on the fixed proposals of Table 1(c).
# Paper: AP 28.8, AP@0.5 52.9 (s/m/l 11.9 / 32.4 / 43.4).
_base_ = [
    '../_base_/models/fast-rcnn_r50-c5.py',
    '../_base_/datasets/coco_proposals.py',
    '../_base_/schedules/paper_80k.py',
    '../_base_/iter_runtime.py',
]
