# Table 2(e) on tiny: top-down pyramid without the lateral 1x1 connections.
_base_ = './fast-rcnn_r18_paper-fpn_tiny.py'
model = dict(neck=dict(lateral=False))
