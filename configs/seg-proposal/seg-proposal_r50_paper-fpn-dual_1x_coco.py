# Table 6, FPN dual MLP [5x5, 7x7] on COCO: R-50, d = 128, 14x14 masks, 1000 mask
# proposals per image scored by class-agnostic mask AR (SegmProposalMetric). The paper
# does not state this row's schedule; mmdet's 1x is used (its "2x train schedule" row is
# seg-proposal_r50_paper-fpn-dual-2xmask_2x_coco.py).
_base_ = [
    '../_base_/models/seg-proposal_r50_paper-fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    '../_base_/default_runtime.py',
]
val_evaluator = dict(_delete_=True, type='SegmProposalMetric',
                     ann_file='data/coco/annotations/instances_val2017.json',
                     proposal_nums=(100, 300, 1000))
test_evaluator = val_evaluator
