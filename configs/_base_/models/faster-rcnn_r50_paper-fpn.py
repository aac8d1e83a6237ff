# Faster R-CNN with the paper's FPN (Lin et al. 2017, Sec. 4), ResNet-50 C2..C5.
# Starts from mmdet's stock R50-FPN model and swaps in mmfpn's three components;
# the settings that differ from mmdet's model are the paper's (docs/paper.md):
#   - RoI max pooling to 7x7 (Sec. 4.2); mmdet uses RoIAlign -> see the *_1x configs.
#   - 2000 proposals per image for training, 1000 for testing (Sec. 5.2).
#   - 512 sampled RoIs per image, 256 anchors per image (already mmdet's).
#   - Border-crossing anchors kept for training (Sec. 5.1): allowed_border=-1.
#   - Smooth L1 box losses as in Detectron (beta 1/9 for the RPN, 1 for the head);
#     mmdet's 1x configs use L1.
# Not a change of behaviour: RPN proposals are NMS-ed one pyramid level at a time
# (mmdet's `split_thr=0`). mmdet's default NMS-es all levels in one call with the
# levels' boxes offset apart, comparing every pair across levels only to find IoU 0;
# the kept boxes are the same, and on a CPU it is faster (measured in
# docs/training_speed.md).
custom_imports = dict(imports=['mmfpn'], allow_failed_imports=False)
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'

model = dict(
    neck=dict(_delete_=True, type='PaperFPN', in_channels=[256, 512, 1024, 2048],
              out_channels=256, num_outs=5),
    rpn_head=dict(
        anchor_generator=dict(_delete_=True, type='PaperAnchorGenerator',
                              anchor_sizes=[32, 64, 128, 256, 512],
                              strides=[4, 8, 16, 32, 64], ratios=[0.5, 1.0, 2.0]),
        loss_bbox=dict(_delete_=True, type='SmoothL1Loss', beta=1.0 / 9.0, loss_weight=1.0)),
    roi_head=dict(
        bbox_roi_extractor=dict(_delete_=True, type='PaperRoIExtractor',
                                roi_layer=dict(type='RoIPool', output_size=7, round_rois=True),
                                out_channels=256, featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(loss_bbox=dict(_delete_=True, type='SmoothL1Loss', beta=1.0,
                                      loss_weight=1.0))),
    train_cfg=dict(rpn=dict(allowed_border=-1),
                   rpn_proposal=dict(nms_pre=2000, max_per_img=2000, nms=dict(split_thr=0))),
    test_cfg=dict(rpn=dict(nms_pre=1000, max_per_img=1000, nms=dict(split_thr=0))))
