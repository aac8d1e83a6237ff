# mmdet's mask-rcnn_r50_fpn_1x_coco with the paper's three components swapped in, as
# configs/faster-rcnn/faster-rcnn_r50_paper-fpn_1x_coco.py: PaperFPN, PaperAnchorGenerator,
# and PaperRoIExtractor pooling both the boxes' (7x7) and the masks' (14x14) RoIs by
# Eq. (1). mmdet's FCN mask head, losses and schedule are unchanged.
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['mmfpn'], allow_failed_imports=False)
model = dict(
    neck=dict(_delete_=True, type='PaperFPN', in_channels=[256, 512, 1024, 2048],
              out_channels=256, num_outs=5),
    rpn_head=dict(anchor_generator=dict(_delete_=True, type='PaperAnchorGenerator')),
    roi_head=dict(
        bbox_roi_extractor=dict(
            _delete_=True, type='PaperRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=256, featmap_strides=[4, 8, 16, 32]),
        mask_roi_extractor=dict(
            _delete_=True, type='PaperRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
            out_channels=256, featmap_strides=[4, 8, 16, 32])),
    train_cfg=dict(rpn_proposal=dict(nms=dict(split_thr=0))),
    test_cfg=dict(rpn=dict(nms=dict(split_thr=0))))
# mmfpn's runtime choices (configs/_base_/default_runtime.py), which a second base
# cannot bring in beside mmdet's runtime.
custom_hooks = [dict(type='FiniteLossHook'), dict(type='RNGStateHook')]
default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook',
                                     backend_args=dict(backend='atomic_local')))
