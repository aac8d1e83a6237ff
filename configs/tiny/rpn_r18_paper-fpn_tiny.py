# Table 1(c) on the embedded tiny dataset: RPN on {P2..P6}, ResNet-18 from scratch
# (configs/_base_/models/rpn_r18_paper-fpn.py); same seed and schedule as every
# tiny row. Reports AR@100 / AR@1000 with s/m/l as Table 1.
_base_ = [
    '../_base_/models/rpn_r18_paper-fpn.py',
    '../_base_/datasets/tiny_rpn.py',
    '../_base_/schedules/tiny.py',
    '../_base_/tiny_runtime.py',
]
