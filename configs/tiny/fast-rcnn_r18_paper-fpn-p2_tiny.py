# Table 2(f) on tiny: only the finest level; every RoI is pooled from P2.
_base_ = './fast-rcnn_r18_paper-fpn_tiny.py'
model = dict(neck=dict(finest_only=True, num_outs=1),
             roi_head=dict(bbox_roi_extractor=dict(featmap_strides=[4])))
