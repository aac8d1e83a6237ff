# Table 3(a) on tiny: single-scale Faster R-CNN on C4 (configs/_base_/models/
# faster-rcnn_r18-c4.py). Deviation (CPU time): RPN and detector share features and
# train end to end, as in the FPN tiny row.
_base_ = [
    '../_base_/models/faster-rcnn_r18-c4.py',
    '../_base_/datasets/tiny.py',
    '../_base_/schedules/tiny.py',
    '../_base_/tiny_runtime.py',
]
default_hooks = dict(checkpoint=dict(interval=4, max_keep_ckpts=2))
