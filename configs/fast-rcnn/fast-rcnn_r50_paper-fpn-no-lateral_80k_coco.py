# Table 2(e): top-down pathway without lateral connections.
# Paper: AP 31.3, AP@0.5 54.0 (s/m/l 13.3 / 35.2 / 45.3).
_base_ = './fast-rcnn_r50_paper-fpn_80k_coco.py'
model = dict(neck=dict(lateral=False))
