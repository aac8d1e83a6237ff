# COCO for the RPN experiments of Table 1: average recall of class-agnostic
# proposals, AR@100 and AR@1000 with small/medium/large breakdowns at 1000
# (pycocotools summarises exactly three proposal counts, so 300 is reported too).
_base_ = 'mmdet::_base_/datasets/coco_detection.py'

val_evaluator = dict(metric='proposal', proposal_nums=(100, 300, 1000))
test_evaluator = val_evaluator
