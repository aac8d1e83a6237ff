# Table 1(a) on tiny: single-scale RPN on C4 (stride 16, 256 channels) with all five
# anchor sizes on it (configs/_base_/models/rpn_r18-c4.py).
_base_ = [
    '../_base_/models/rpn_r18-c4.py',
    '../_base_/datasets/tiny_rpn.py',
    '../_base_/schedules/tiny.py',
    '../_base_/tiny_runtime.py',
]
