# Table 6 on tiny, the DeepMask-style baseline: the same 5x5 MLP (hidden width 128,
# 14x14 masks) on one backbone map, C4 (stride 16) brought to d = 64 by a 1x1 conv,
# and an image pyramid instead of a feature pyramid (ImagePyramidSegmentProposer).
# Its canonical object is 5 * 16 * 128 / 224 = 45.7 px; only objects within a quarter
# octave of it are positives (DeepMask's scale jitter). Training resizes each image by
# one of the test pyramid's scales (2^-2 .. 2^1, half octaves), so every object is seen
# near the canonical size; testing runs all seven and keeps the best 1000 masks.
_base_ = './seg-proposal_r18_paper-fpn-dual_tiny.py'
model = dict(
    type='ImagePyramidSegmentProposer',
    test_scales=[2**(k / 2) for k in range(-4, 3)],
    backbone=dict(num_stages=3, strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(2, )),
    neck=dict(_delete_=True, type='ChannelMapper', in_channels=[256], out_channels=64,
              kernel_size=1, act_cfg=None),
    bbox_head=dict(strides=[16], windows=[5], positive_octaves=0.25))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomChoiceResize', scales=[(round(320 * s), round(320 * s))
                                            for s in model['test_scales']], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
