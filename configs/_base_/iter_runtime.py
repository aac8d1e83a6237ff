# mmdet's default runtime for iteration-based schedules (the paper's 40k / 80k):
# checkpoints every 10k iterations, logs counted in iterations.
_base_ = './default_runtime.py'
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=10000, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
