# Table 6's DeepMask-style baseline on COCO: the 5x5 MLP (hidden 512, 14x14 masks) on
# one map, R-50's C4 (stride 16) brought to d = 128 by a 1x1 conv, run on an image
# pyramid (ImagePyramidSegmentProposer, scales 2^-2 .. 2^1 in half octaves). Positives
# are objects within a quarter octave of the window's 45.7 px canonical size; training
# resizes each image by one of the pyramid's scales so that every object meets it.
_base_ = './seg-proposal_r50_paper-fpn-5x5_1x_coco.py'
model = dict(
    type='ImagePyramidSegmentProposer',
    test_scales=[2**(k / 2) for k in range(-4, 3)],
    backbone=dict(num_stages=3, strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(2, )),
    neck=dict(_delete_=True, type='ChannelMapper', in_channels=[1024], out_channels=128,
              kernel_size=1, act_cfg=None),
    bbox_head=dict(strides=[16], positive_octaves=0.25))
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomChoiceResize', scales=[(round(1333 * s), round(800 * s))
                                            for s in model['test_scales']], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
