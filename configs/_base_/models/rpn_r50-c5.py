# Single-scale RPN baseline on C5 (Table 1(b)): all five anchor sizes on C5
# (stride 32). The 3x3 RPN conv keeps the input's channels (2048), as Detectron's
# single-level RPN head does.
_base_ = './rpn_r50-c4.py'

model = dict(
    backbone=dict(num_stages=4, strides=(1, 2, 2, 2), dilations=(1, 1, 1, 1),
                  out_indices=(3, )),
    rpn_head=dict(in_channels=2048, feat_channels=2048,
                  anchor_generator=dict(strides=[32])))
