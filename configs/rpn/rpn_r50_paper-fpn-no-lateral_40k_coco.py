# Table 1(e): top-down pathway without the 1x1 lateral connections.
# Paper: AR100 34.5, AR1k 46.1 (26.5 / 57.4 / 64.7).
_base_ = './rpn_r50_paper-fpn_40k_coco.py'
model = dict(neck=dict(lateral=False))
