# Table 3(b) on tiny: single-scale Faster R-CNN on C5: RPN on C5, RoIs pooled from
# C5 to 7x7, the same 2-fc head as the FPN row (configs/_base_/models/
# faster-rcnn_r18-c5.py).
_base_ = [
    '../_base_/models/faster-rcnn_r18-c5.py',
    '../_base_/datasets/tiny.py',
    '../_base_/schedules/tiny.py',
    '../_base_/tiny_runtime.py',
]
default_hooks = dict(checkpoint=dict(interval=4, max_keep_ckpts=2))
