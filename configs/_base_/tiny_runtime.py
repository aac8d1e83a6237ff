# The CPU-sized runs' runtime (tiny and tree-crown rows): logs every 20 iterations,
# seed 0, the last checkpoint kept at the end of training.
_base_ = './default_runtime.py'
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(interval=6, max_keep_ckpts=1, save_last=True))
log_processor = dict(window_size=20)
randomness = dict(seed=0)
