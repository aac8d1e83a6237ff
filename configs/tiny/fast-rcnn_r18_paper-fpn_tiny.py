# Table 2(c) on tiny: Fast R-CNN on {P2..P5} with Eq. (1), trained and tested on the
# fixed proposals of the tiny Table 1(c) RPN (configs/_base_/datasets/tiny_proposals.py),
# so that rows (a)-(f) differ only in where the RoI features come from. Same CPU
# sizing, seed and schedule as faster-rcnn_r18_paper-fpn_tiny.py (d = 64, canonical
# scale 112, 512-d fcs, 128 sampled RoIs, RoIAlign; see that file's deviations).
_base_ = [
    '../_base_/models/fast-rcnn_r50_paper-fpn.py',
    '../_base_/datasets/tiny_proposals.py',
    '../_base_/schedules/tiny.py',
    '../_base_/tiny_runtime.py',
]
model = dict(
    backbone=dict(depth=18, frozen_stages=-1, norm_eval=False, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=64),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64, canonical_scale=112,
                                roi_layer=dict(_delete_=True, type='RoIAlign',
                                               output_size=7, sampling_ratio=0)),
        bbox_head=dict(in_channels=64, fc_out_channels=512, num_classes=4)),
    train_cfg=dict(rcnn=dict(sampler=dict(num=128))))
