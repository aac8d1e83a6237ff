# Fast R-CNN on fixed proposals with the paper's FPN (Sec. 4.2, Table 2(c)).
# RoIs are assigned to P2..P5 by Eq. (1) and max-pooled to 7x7 (RoIPool, as in the
# paper); two 1024-d fc layers with ReLU, then classification and box regression.
# P6 exists only for the RPN (Sec. 4.1), so this neck returns P2..P5.
# 512 sampled RoIs per image with 25% positives (Sec. 5.2; Detectron's fraction).
custom_imports = dict(imports=['mmfpn'], allow_failed_imports=False)
_base_ = 'mmdet::_base_/models/fast-rcnn_r50_fpn.py'

model = dict(
    neck=dict(_delete_=True, type='PaperFPN', in_channels=[256, 512, 1024, 2048],
              out_channels=256, num_outs=4),
    roi_head=dict(
        bbox_roi_extractor=dict(_delete_=True, type='PaperRoIExtractor',
                                roi_layer=dict(type='RoIPool', output_size=7, round_rois=True),
                                out_channels=256, featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(loss_bbox=dict(_delete_=True, type='SmoothL1Loss', beta=1.0,
                                      loss_weight=1.0))),
    train_cfg=dict(rcnn=dict(sampler=dict(num=512, pos_fraction=0.25))))
