# Table 3(c) on the embedded tiny dataset: Faster R-CNN with the paper's FPN,
# ResNet-18 from scratch on a CPU. The model's CPU sizing and its deviations from the
# paper: configs/_base_/models/faster-rcnn_r18_paper-fpn.py.
_base_ = [
    '../_base_/models/faster-rcnn_r18_paper-fpn.py',
    '../_base_/datasets/tiny.py',
    '../_base_/schedules/tiny.py',
    '../_base_/tiny_runtime.py',
]
default_hooks = dict(checkpoint=dict(interval=4, max_keep_ckpts=2))
