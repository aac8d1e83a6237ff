# Table 1(b) on tiny: single-scale RPN on C5 (stride 32, 512 channels) with all five
# anchor sizes on it (configs/_base_/models/rpn_r18-c5.py).
_base_ = [
    '../_base_/models/rpn_r18-c5.py',
    '../_base_/datasets/tiny_rpn.py',
    '../_base_/schedules/tiny.py',
    '../_base_/tiny_runtime.py',
]
