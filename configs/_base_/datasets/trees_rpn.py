# The tree-crown set for the RPN rows of Table 1: class-agnostic proposal recall, AR@100
# and AR@1000 with small/medium/large at 1000 (as configs/_base_/datasets/coco_rpn.py).
_base_ = './trees.py'
val_evaluator = dict(metric='proposal', proposal_nums=(100, 300, 1000))
test_evaluator = val_evaluator
