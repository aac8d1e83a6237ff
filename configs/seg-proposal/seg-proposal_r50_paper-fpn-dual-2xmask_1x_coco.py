# Table 6, FPN dual MLP with 2x mask resolution (28x28) on COCO.
_base_ = './seg-proposal_r50_paper-fpn-dual_1x_coco.py'
model = dict(bbox_head=dict(mask_size=28))
