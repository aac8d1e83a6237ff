# mmdet's default runtime plus mmfpn's reliability hook: training stops at the
# first NaN/Inf loss, naming the iteration and the loss term, before a checkpoint
# of the broken state is written; and random generator states travel with each
# checkpoint, so a resumed run reproduces the uninterrupted one.
_base_ = 'mmdet::_base_/default_runtime.py'
custom_hooks = [dict(type='FiniteLossHook'), dict(type='RNGStateHook')]
