# Table 1(c) on real images: the tiny FPN RPN (configs/_base_/models/
# rpn_r18_paper-fpn.py) on the tree-crown tiles, with the tree schedule.
# Reports AR@100 / AR@1000 with s/m/l as Table 1.
_base_ = [
    '../_base_/models/rpn_r18_paper-fpn.py',
    '../_base_/datasets/trees_rpn.py',
    '../_base_/schedules/trees.py',
    '../_base_/trees_runtime.py',
]
