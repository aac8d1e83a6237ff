# Table 1(d): bottom-up pyramid, no top-down pathway: P_k = conv3x3(conv1x1(C_k)).
# Paper: AR100 37.4, AR1k 49.5 (30.5 / 59.9 / 68.0).
_base_ = './rpn_r50_paper-fpn_40k_coco.py'
model = dict(neck=dict(top_down=False))
