# Table 1(f): only the finest level P2, with all five anchor sizes on it (750k
# anchors). Paper: AR100 38.4, AR1k 51.3 (35.1 / 59.7 / 67.6).
_base_ = './rpn_r50_paper-fpn_40k_coco.py'
model = dict(
    neck=dict(finest_only=True, num_outs=1),
    rpn_head=dict(anchor_generator=dict(anchor_sizes=[[32, 64, 128, 256, 512]], strides=[4])))
