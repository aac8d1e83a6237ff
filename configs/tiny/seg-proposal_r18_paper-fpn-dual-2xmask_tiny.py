# Table 6 on tiny: FPN segment proposals, dual MLP with 2x mask resolution (28x28).
_base_ = './seg-proposal_r18_paper-fpn-dual_tiny.py'
model = dict(bbox_head=dict(mask_size=28))
