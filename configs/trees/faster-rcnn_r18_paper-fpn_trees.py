# Table 3(c) on real images: the tiny FPN Faster R-CNN (configs/_base_/models/
# faster-rcnn_r18_paper-fpn.py) on the tree-crown tiles, one class. `make real`
# builds data/trees/ first.
_base_ = [
    '../_base_/models/faster-rcnn_r18_paper-fpn.py',
    '../_base_/datasets/trees.py',
    '../_base_/schedules/trees.py',
    '../_base_/trees_runtime.py',
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=1)))
