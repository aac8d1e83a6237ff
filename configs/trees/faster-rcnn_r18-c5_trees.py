# Table 3(b) on real images: single-scale Faster R-CNN on C5 (configs/_base_/models/
# faster-rcnn_r18-c5.py) on the tree-crown tiles, one class.
_base_ = [
    '../_base_/models/faster-rcnn_r18-c5.py',
    '../_base_/datasets/trees.py',
    '../_base_/schedules/trees.py',
    '../_base_/trees_runtime.py',
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=1)))
