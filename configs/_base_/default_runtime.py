# mmdet's default runtime plus what mmfpn chooses for every run (remove an entry in a
# child config to get mmengine's/mmdet's behaviour back):
#   - FiniteLossHook: training stops at the first NaN/Inf loss, naming the iteration
#     and the loss term, before a checkpoint of the broken state is written;
#   - RNGStateHook: random generator states travel with each checkpoint, so a resumed
#     run reproduces the uninterrupted one;
#   - checkpoints are written atomically (temporary file + rename: a crash mid-save
#     leaves the previous file whole) by mmfpn's 'atomic_local' file backend, and so
#     is the last_checkpoint pointer that --resume reads (AtomicCheckpointHook).
_base_ = 'mmdet::_base_/default_runtime.py'
custom_hooks = [dict(type='FiniteLossHook'), dict(type='RNGStateHook')]
default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook',
                                     backend_args=dict(backend='atomic_local')))
