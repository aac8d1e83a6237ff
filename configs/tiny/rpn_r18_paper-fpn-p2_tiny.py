# Table 1(f) on tiny: only P2, with all five anchor sizes on it (96k anchors on a
# 320x320 image). One map, so the pre-NMS top-k is the single-scale rows' (12000,
# as 1(a)/1(b)), not the per-level 1000 of the multi-level rows: see
# configs/rpn/rpn_r50_paper-fpn-p2_40k_coco.py.
_base_ = './rpn_r18_paper-fpn_tiny.py'
model = dict(
    neck=dict(finest_only=True, num_outs=1),
    rpn_head=dict(anchor_generator=dict(anchor_sizes=[[16, 32, 64, 128, 256]], strides=[4])),
    test_cfg=dict(rpn=dict(nms_pre=12000)))
