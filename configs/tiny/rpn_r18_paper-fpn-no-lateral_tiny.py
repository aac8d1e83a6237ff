# Table 1(e) on tiny: top-down pathway without lateral connections.
_base_ = './rpn_r18_paper-fpn_tiny.py'
model = dict(neck=dict(lateral=False))
