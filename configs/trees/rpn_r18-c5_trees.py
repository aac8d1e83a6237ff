# Table 1(b) on real images: single-scale RPN on C5 (configs/_base_/models/
# rpn_r18-c5.py) on the tree-crown tiles.
_base_ = [
    '../_base_/models/rpn_r18-c5.py',
    '../_base_/datasets/trees_rpn.py',
    '../_base_/schedules/trees.py',
    '../_base_/trees_runtime.py',
]
