# FPN segment proposals (Lin et al. 2017, Sec. 6, Table 6), ResNet-50: the paper's
# pyramid with d = 128 on P2..P6, and FPNSegmentProposalHead's 5x5 and 7x7 MLPs on
# every level (dual MLP), 14x14 masks, 1000 proposals per image. mmdet's
# SingleStageDetector runs it (the head provides loss and predict).
custom_imports = dict(imports=['mmfpn'], allow_failed_imports=False)
model = dict(
    type='SingleStageDetector',
    data_preprocessor=dict(type='DetDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32),
    backbone=dict(type='ResNet', depth=50, num_stages=4, out_indices=(0, 1, 2, 3),
                  frozen_stages=1, norm_cfg=dict(type='BN', requires_grad=True),
                  norm_eval=True, style='pytorch',
                  init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(type='PaperFPN', in_channels=[256, 512, 1024, 2048], out_channels=128,
              num_outs=5),
    bbox_head=dict(type='FPNSegmentProposalHead', in_channels=128, strides=[4, 8, 16, 32, 64],
                   windows=[5, 7], hidden_channels=512, mask_size=14),
    train_cfg=None,
    test_cfg=dict(nms_pre=1000, max_per_img=1000, mask_thr=0.5, nms=None))
