# Table 1(a)'s RPN sized for CPUs: single-scale RPN on C4 (stride 16, 256 channels)
# with all five anchor sizes on it; the 3x3 RPN conv keeps C4's channels (Detectron's
# C4 head). Pre-NMS top-k 12000 for the single map, as ./rpn_r50-c4.py.
_base_ = './rpn_r18_paper-fpn.py'
model = dict(
    backbone=dict(num_stages=3, strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(2, )),
    neck=None,
    rpn_head=dict(in_channels=256, feat_channels=256,
                  anchor_generator=dict(anchor_sizes=[[16, 32, 64, 128, 256]], strides=[16])),
    test_cfg=dict(rpn=dict(nms_pre=12000)))
