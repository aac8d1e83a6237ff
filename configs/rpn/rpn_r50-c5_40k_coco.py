# Table 1(b): single-scale RPN on C5. Paper: AR100 36.3, AR1k 44.9 (25.3 / 55.5 / 64.2).
_base_ = './rpn_r50-c4_40k_coco.py'
model = dict(
    backbone=dict(num_stages=4, strides=(1, 2, 2, 2), dilations=(1, 1, 1, 1),
                  out_indices=(3, )),
    rpn_head=dict(in_channels=2048, feat_channels=2048,
                  anchor_generator=dict(strides=[32])))
