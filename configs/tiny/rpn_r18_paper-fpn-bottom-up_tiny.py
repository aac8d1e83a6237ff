# Table 1(d) on tiny: bottom-up pyramid, no top-down pathway.
_base_ = './rpn_r18_paper-fpn_tiny.py'
model = dict(neck=dict(top_down=False))
