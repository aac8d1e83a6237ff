# COCO for the RPN experiments of Table 1: average recall of class-agnostic
# proposals, AR@100 and AR@1000 with small/medium/large breakdowns at 1000.
_base_ = 'mmdet::_base_/datasets/coco_detection.py'

val_evaluator = dict(metric='proposal', proposal_nums=(100, 1000))
test_evaluator = val_evaluator
