# mmdet's rpn_r50_fpn_1x_coco with PaperFPN and PaperAnchorGenerator swapped in and
# nothing else changed (12 epochs, L1 box loss): comparable with mmdet's numbers.
_base_ = 'mmdet::rpn/rpn_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['mmfpn'], allow_failed_imports=False)
model = dict(
    neck=dict(_delete_=True, type='PaperFPN', in_channels=[256, 512, 1024, 2048],
              out_channels=256, num_outs=5),
    rpn_head=dict(anchor_generator=dict(_delete_=True, type='PaperAnchorGenerator')),
    test_cfg=dict(rpn=dict(nms=dict(split_thr=0))))  # per level: same boxes, faster
custom_hooks = [dict(type='FiniteLossHook'), dict(type='RNGStateHook')]
default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook',
                                     backend_args=dict(backend='atomic_local')))
