# Table 2(d) on tiny: bottom-up pyramid (lateral 1x1 + 3x3 convs, no top-down path).
_base_ = './fast-rcnn_r18_paper-fpn_tiny.py'
model = dict(neck=dict(top_down=False))
