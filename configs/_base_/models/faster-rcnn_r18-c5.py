# Table 3(b)'s model sized for CPUs: single-scale Faster R-CNN on C5: RPN on C5 with all
# five anchor sizes, RoIs pooled from C5 to 7x7, the same 2-fc head as the FPN model.
_base_ = './faster-rcnn_r18_paper-fpn.py'
model = dict(
    backbone=dict(out_indices=(3, )),
    neck=None,
    rpn_head=dict(in_channels=512, feat_channels=512,
                  anchor_generator=dict(anchor_sizes=[[16, 32, 64, 128, 256]], strides=[32])),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=512, featmap_strides=[32]),
                  bbox_head=dict(in_channels=512)))
