# Table 3(b) on real images: single-scale Faster R-CNN on C5 (RPN on C5, RoIs pooled from
# C5), as configs/tiny/faster-rcnn_r18-c5_tiny.py, on the tree-crown tiles.
_base_ = './faster-rcnn_r18_paper-fpn_trees.py'
model = dict(
    backbone=dict(out_indices=(3, )),
    neck=None,
    rpn_head=dict(in_channels=512, feat_channels=512,
                  anchor_generator=dict(anchor_sizes=[[16, 32, 64, 128, 256]], strides=[32])),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=512, featmap_strides=[32]),
                  bbox_head=dict(in_channels=512)))
