# mmdet's faster-rcnn_r50_fpn_1x_coco (box AP 37.4) with the paper's three components
# swapped in and nothing else changed: RoIAlign, L1 box losses, 2000 -> 1000 training
# proposals, 12 epochs. PaperFPN, PaperAnchorGenerator and PaperRoIExtractor compute
# what mmdet's FPN / AnchorGenerator / SingleRoIExtractor compute here (same
# state_dict keys), so this config reproduces mmdet's numbers with mmfpn's kernels.
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['mmfpn'], allow_failed_imports=False)
model = dict(
    neck=dict(_delete_=True, type='PaperFPN', in_channels=[256, 512, 1024, 2048],
              out_channels=256, num_outs=5),
    rpn_head=dict(anchor_generator=dict(_delete_=True, type='PaperAnchorGenerator')),
    roi_head=dict(bbox_roi_extractor=dict(
        _delete_=True, type='PaperRoIExtractor',
        roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
        out_channels=256, featmap_strides=[4, 8, 16, 32])),
    # RPN NMS one level at a time: mmdet's own switch, the same boxes, faster on CPU
    # (see configs/_base_/models/faster-rcnn_r50_paper-fpn.py).
    train_cfg=dict(rpn_proposal=dict(nms=dict(split_thr=0))),
    test_cfg=dict(rpn=dict(nms=dict(split_thr=0))))
# mmfpn's runtime choices (configs/_base_/default_runtime.py), which a second base
# cannot bring in beside mmdet's runtime.
custom_hooks = [dict(type='FiniteLossHook'), dict(type='RNGStateHook')]
default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook',
                                     backend_args=dict(backend='atomic_local')))
