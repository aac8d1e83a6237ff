# Table 6, FPN single MLP [5x5] on COCO.
_base_ = './seg-proposal_r50_paper-fpn-dual_1x_coco.py'
model = dict(bbox_head=dict(windows=[5]))
