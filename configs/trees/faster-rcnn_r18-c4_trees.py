# Table 3(a) on real images: single-scale Faster R-CNN on C4 (configs/_base_/models/
# faster-rcnn_r18-c4.py) on the tree-crown tiles, one class.
_base_ = [
    '../_base_/models/faster-rcnn_r18-c4.py',
    '../_base_/datasets/trees.py',
    '../_base_/schedules/trees.py',
    '../_base_/trees_runtime.py',
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=1)))
