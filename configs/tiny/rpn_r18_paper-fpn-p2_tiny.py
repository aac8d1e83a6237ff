# Table 1(f) on tiny: only P2, with all five anchor sizes on it.
_base_ = './rpn_r18_paper-fpn_tiny.py'
model = dict(
    neck=dict(finest_only=True, num_outs=1),
    rpn_head=dict(anchor_generator=dict(anchor_sizes=[[16, 32, 64, 128, 256]], strides=[4])))
