# The tree-crown rows' runtime: the tiny runtime with a checkpoint every 10 of the 30
# epochs (configs/_base_/schedules/trees.py), two kept.
_base_ = './tiny_runtime.py'
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=2))
