# Table 2(f): every RoI pooled from the finest level P2 only.
# Paper: AP 33.4, AP@0.5 56.3 (s/m/l 17.3 / 37.3 / 45.6).
_base_ = './fast-rcnn_r50_paper-fpn_80k_coco.py'
model = dict(
    neck=dict(finest_only=True, num_outs=1),
    roi_head=dict(bbox_roi_extractor=dict(featmap_strides=[4])))
