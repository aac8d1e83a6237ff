# Table 6 on tiny: FPN segment proposals, single MLP [7x7].
_base_ = './seg-proposal_r18_paper-fpn-dual_tiny.py'
model = dict(bbox_head=dict(windows=[7]))
