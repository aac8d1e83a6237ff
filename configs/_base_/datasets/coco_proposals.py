# COCO detection with fixed proposals for Fast R-CNN (Table 2): mmdet's COCO
# detection set (shorter side 800, longer side at most 1333) plus the proposals of
# the Table 1(c) RPN, written by `tools/dump_proposals.py` to data/coco/proposals/.
# Up to 2000 proposals per training image and 1000 per test image (Sec. 5.2).
_base_ = 'mmdet::_base_/datasets/coco_detection.py'

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadProposals', num_max_proposals=2000),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='ProposalBroadcaster',
         transforms=[dict(type='Resize', scale=(1333, 800), keep_ratio=True),
                     dict(type='RandomFlip', prob=0.5)]),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadProposals', num_max_proposals=1000),
    dict(type='ProposalBroadcaster',
         transforms=[dict(type='Resize', scale=(1333, 800), keep_ratio=True)]),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(dataset=dict(proposal_file='proposals/rpn_r50_paper-fpn_40k_train2017.pkl',
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(proposal_file='proposals/rpn_r50_paper-fpn_40k_val2017.pkl',
                                   pipeline=test_pipeline))
test_dataloader = val_dataloader
