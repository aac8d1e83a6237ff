# Mask R-CNN with the paper's components on the tiny set's masks: the tiny FPN Faster
# R-CNN plus mmdet's FCN mask head on 14x14 RoIs pooled by PaperRoIExtractor
# (configs/_base_/models/mask-rcnn_r18_paper-fpn.py). Box and mask AP.
_base_ = [
    '../_base_/models/mask-rcnn_r18_paper-fpn.py',
    '../_base_/datasets/tiny_masks.py',
    '../_base_/schedules/tiny.py',
    '../_base_/tiny_runtime.py',
]
val_evaluator = dict(metric=['bbox', 'segm'])
test_evaluator = val_evaluator
