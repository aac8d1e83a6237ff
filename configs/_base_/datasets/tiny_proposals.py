# The tiny dataset with fixed proposals (Table 2 on tiny, paper Sec. 5.2.1): every
# row reads the proposals of the tiny Table 1(c) RPN (rpn_r18_paper-fpn_tiny.py),
# written by `tools/dump_proposals.py CONFIG CKPT --split train|val` to
# data/tiny/proposals/. Up to 1000 proposals per training image and 300 per test
# image, as the tiny Faster R-CNN uses (the paper: 2000 / 1000 at 800 px).
_base_ = './tiny.py'

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadProposals', num_max_proposals=1000),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='ProposalBroadcaster',
         transforms=[dict(type='Resize', scale=(320, 320), keep_ratio=True),
                     dict(type='RandomFlip', prob=0.5)]),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadProposals', num_max_proposals=300),
    dict(type='ProposalBroadcaster',
         transforms=[dict(type='Resize', scale=(320, 320), keep_ratio=True)]),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(dataset=dict(proposal_file='proposals/rpn_r18_paper-fpn_tiny_train.pkl',
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(proposal_file='proposals/rpn_r18_paper-fpn_tiny_val.pkl',
                                   pipeline=test_pipeline))
test_dataloader = val_dataloader
