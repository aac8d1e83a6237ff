# mmdet-1x-style Faster R-CNN with the paper's FPN, comparable with mmdet's
# faster-rcnn_r50_fpn_1x_coco (box AP 37.4): RoIAlign instead of RoIPool, L1 box
# losses, 2000 -> 1000 training proposals, 12 epochs (lr steps at epochs 8 and 11).
_base_ = [
    '../_base_/models/faster-rcnn_r50_paper-fpn.py',
    'mmdet::_base_/datasets/coco_detection.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    '../_base_/default_runtime.py',
]
model = dict(
    rpn_head=dict(loss_bbox=dict(_delete_=True, type='L1Loss', loss_weight=1.0)),
    roi_head=dict(
        bbox_roi_extractor=dict(roi_layer=dict(_delete_=True, type='RoIAlign',
                                               output_size=7, sampling_ratio=0)),
        bbox_head=dict(loss_bbox=dict(_delete_=True, type='L1Loss', loss_weight=1.0))),
    train_cfg=dict(rpn_proposal=dict(nms_pre=2000, max_per_img=1000)))
