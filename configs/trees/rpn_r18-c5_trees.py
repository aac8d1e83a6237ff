# Table 1(b) on real images: single-scale RPN on C5 (stride 32, 512 channels), as
# configs/tiny/rpn_r18-c5_tiny.py, on the tree-crown tiles.
_base_ = './rpn_r18-c4_trees.py'
model = dict(
    backbone=dict(num_stages=4, strides=(1, 2, 2, 2), dilations=(1, 1, 1, 1),
                  out_indices=(3, )),
    rpn_head=dict(in_channels=512, feat_channels=512, anchor_generator=dict(strides=[32])))
