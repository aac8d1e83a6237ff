# Table 1(a) on real images: single-scale RPN on C4 (stride 16, 256 channels, all five
# anchor sizes), as configs/tiny/rpn_r18-c4_tiny.py, on the tree-crown tiles.
_base_ = './rpn_r18_paper-fpn_trees.py'
model = dict(
    backbone=dict(num_stages=3, strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(2, )),
    neck=None,
    rpn_head=dict(in_channels=256, feat_channels=256,
                  anchor_generator=dict(anchor_sizes=[[16, 32, 64, 128, 256]], strides=[16])),
    test_cfg=dict(rpn=dict(nms_pre=12000)))
