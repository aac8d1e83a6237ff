# Single-scale Fast R-CNN baseline on C5 (Table 2(b), 3(b)): RoIs max-pooled from
# C5 (stride 32) to 7x7, then the same 2-fc (1024-d) head as the FPN model.
_base_ = './fast-rcnn_r50_paper-fpn.py'

model = dict(
    backbone=dict(out_indices=(3, )),
    neck=None,
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=2048, featmap_strides=[32]),
        bbox_head=dict(in_channels=2048)))
