# Table 2(d): bottom-up pyramid, no top-down pathway.
# Paper: AP 24.9, AP@0.5 44.9 (s/m/l 10.9 / 24.4 / 38.5).
_base_ = './fast-rcnn_r50_paper-fpn_80k_coco.py'
model = dict(neck=dict(top_down=False))
