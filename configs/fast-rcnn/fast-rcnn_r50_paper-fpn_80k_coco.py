# Table 2(c) (= Table 3(c)): Fast R-CNN on {P2..P5} with Eq. (1), on the fixed
# proposals of Table 1(c). Paper: AP 33.9, AP@0.5 56.9 (s/m/l 17.8 / 37.7 / 45.8).
# Proposals: tools/dump_proposals.py with configs/rpn/rpn_r50_paper-fpn_40k_coco.py.
_base_ = [
    '../_base_/models/fast-rcnn_r50_paper-fpn.py',
    '../_base_/datasets/coco_proposals.py',
    '../_base_/schedules/paper_80k.py',
    '../_base_/iter_runtime.py',
]
