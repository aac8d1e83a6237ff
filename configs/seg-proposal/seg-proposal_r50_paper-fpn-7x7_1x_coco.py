# Table 6, FPN single MLP [7x7] on COCO.
_base_ = './seg-proposal_r50_paper-fpn-dual_1x_coco.py'
model = dict(bbox_head=dict(windows=[7]))
