# RPN on {P2..P6} sized for CPUs (Table 1(c) on tiny and tree crowns): ResNet-18 from
# scratch, d = 64, anchors 16..256 (halved for objects 2-4x smaller than COCO's, as
# ./faster-rcnn_r18_paper-fpn.py).
_base_ = './rpn_r50_paper-fpn.py'
model = dict(
    backbone=dict(depth=18, frozen_stages=-1, norm_eval=False, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=64),
    rpn_head=dict(in_channels=64, feat_channels=64,
                  anchor_generator=dict(anchor_sizes=[16, 32, 64, 128, 256])))
