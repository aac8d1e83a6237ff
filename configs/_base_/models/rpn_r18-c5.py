# Table 1(b)'s RPN sized for CPUs: single-scale RPN on C5 (stride 32, 512 channels), as
# ./rpn_r18-c4.py otherwise.
_base_ = './rpn_r18-c4.py'
model = dict(
    backbone=dict(num_stages=4, strides=(1, 2, 2, 2), dilations=(1, 1, 1, 1),
                  out_indices=(3, )),
    rpn_head=dict(in_channels=512, feat_channels=512, anchor_generator=dict(strides=[32])))
