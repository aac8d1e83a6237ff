# Single-scale RPN baseline on C4 (Table 1(a)): ResNet-50 conv1..conv4 (stride 16),
# the paper's five anchor sizes all on C4 ("the baselines use the same five anchor
# scales"). The 3x3 RPN conv keeps C4's 1024 channels, as Detectron's C4 RPN head
# does (the paper leaves it open). Pytorch-style ResNet, like the FPN configs.
custom_imports = dict(imports=['mmfpn'], allow_failed_imports=False)
_base_ = 'mmdet::_base_/models/rpn_r50-caffe-c4.py'

model = dict(
    data_preprocessor=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                           bgr_to_rgb=True),
    backbone=dict(style='pytorch', norm_cfg=dict(type='BN', requires_grad=True),
                  init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    rpn_head=dict(
        anchor_generator=dict(_delete_=True, type='PaperAnchorGenerator',
                              anchor_sizes=[[32, 64, 128, 256, 512]], strides=[16]),
        loss_bbox=dict(_delete_=True, type='SmoothL1Loss', beta=1.0 / 9.0, loss_weight=1.0)),
    test_cfg=dict(rpn=dict(nms_pre=12000, max_per_img=1000)))
