# The paper's RPN schedule (Sec. 5.1): lr 0.02 for 30k mini-batches, then 0.002
# for 10k; otherwise as the 80k schedule.
_base_ = './paper_80k.py'
max_iters = 40000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[30000],
         gamma=0.1),
]
