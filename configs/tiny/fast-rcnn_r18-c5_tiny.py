# Table 2(b) on tiny: single-scale Fast R-CNN on C5 (RoIs pooled from C5 to 7x7) with
# the same 2-fc head as the FPN row.
_base_ = './fast-rcnn_r18_paper-fpn_tiny.py'
model = dict(
    backbone=dict(out_indices=(3, )),
    neck=None,
    roi_head=dict(bbox_roi_extractor=dict(out_channels=512, featmap_strides=[32]),
                  bbox_head=dict(in_channels=512)))
