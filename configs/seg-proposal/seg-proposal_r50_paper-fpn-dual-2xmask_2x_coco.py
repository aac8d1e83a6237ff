# Table 6, FPN dual MLP, 2x mask resolution and a 2x train schedule on COCO (24 epochs,
# steps at 16 and 22 as mmdet's schedule_2x).
_base_ = './seg-proposal_r50_paper-fpn-dual-2xmask_1x_coco.py'
max_epochs = 24
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[16, 22],
         gamma=0.1),
]
