# The tiny schedule sized for the tree-crown set: its 61 training tiles at batch 4 give
# 16 iterations an epoch, so 30 epochs make about the tiny schedule's 480 iterations.
_base_ = './tiny.py'
max_epochs = 30
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=200),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[25], gamma=0.1),
]
