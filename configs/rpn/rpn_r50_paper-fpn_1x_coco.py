# mmdet-1x-style variant of Table 1(c), comparable with mmdet's rpn_r50_fpn_1x_coco:
# 12 epochs (lr steps at 8 and 11), L1 box loss.
_base_ = [
    '../_base_/models/rpn_r50_paper-fpn.py',
    '../_base_/datasets/coco_rpn.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    '../_base_/default_runtime.py',
]
model = dict(rpn_head=dict(loss_bbox=dict(_delete_=True, type='L1Loss', loss_weight=1.0)))
