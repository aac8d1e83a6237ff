# Table 6 on tiny, row (g): the dual MLP with 28x28 masks (6(f)) trained twice as long,
# 12 epochs with the x0.1 step at epoch 10 (the tiny schedule doubled, the step kept at
# five sixths of it; the paper's 2x schedule on COCO is
# configs/seg-proposal/seg-proposal_r50_paper-fpn-dual-2xmask_2x_coco.py).
_base_ = './seg-proposal_r18_paper-fpn-dual-2xmask_tiny.py'
max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=200),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[10],
         gamma=0.1),
]
