# Table 6 on tiny: FPN segment proposals, single MLP [5x5].
_base_ = './seg-proposal_r18_paper-fpn-dual_tiny.py'
model = dict(bbox_head=dict(windows=[5]))
