# Template: Faster R-CNN, ResNet-50 + the paper's FPN, on your own COCO-format dataset.
# Copy this file, change the lines marked CHANGE, then (docs/own_data.md):
#   python tools/analyze_scales.py MY_CONFIG     # object sizes vs anchors and Eq. (1)
#   python tools/train.py MY_CONFIG              # checks the data first, then trains
# Everything else is faster-rcnn_r50_paper-fpn_1x_coco.py: ImageNet-pretrained R-50
# (downloaded once by mmdet), the paper's FPN, anchors and Eq. (1), mmdet's 1x schedule.
_base_ = '../faster-rcnn/faster-rcnn_r50_paper-fpn_1x_coco.py'

data_root = 'data/own_data/'                             # CHANGE: the dataset's folder
classes = ('class_a', 'class_b')                         # CHANGE: names from the JSON's
#                                                          "categories", any ids, any order
train_ann, train_images = 'annotations/train.json', 'train/'   # CHANGE if laid out otherwise
val_ann, val_images = 'annotations/val.json', 'val/'
# (width, height) bound of the resize, aspect kept: the paper's shorter side 800,
# longer <= 1333. For images much smaller or larger than that, set about their size
# and check the anchors (tools/analyze_scales.py recommends anchor_sizes and
# canonical_scale for it; put them in model below).
image_scale = (1333, 800)

metainfo = dict(classes=classes)
model = dict(roi_head=dict(bbox_head=dict(num_classes=len(classes))))
# Loading: grayscale and RGBA images become 3-channel BGR (mmcv's 'color' mode).
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(dataset=dict(
    data_root=data_root, metainfo=metainfo, ann_file=train_ann,
    data_prefix=dict(img=train_images), pipeline=train_pipeline,
    # Crowd boxes are ignored (mmdet); images without objects are dropped from
    # training (mmdet's default); set filter_empty_gt=False to keep them as negatives.
    filter_cfg=dict(filter_empty_gt=True, min_size=1)))
val_dataloader = dict(dataset=dict(
    data_root=data_root, metainfo=metainfo, ann_file=val_ann,
    data_prefix=dict(img=val_images), pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + val_ann)
test_evaluator = val_evaluator
# Schedule: mmdet's 1x (12 epochs, SGD lr 0.02 for 16 images per step, steps at 8
# and 11). On fewer images per step, `tools/train.py --auto-scale-lr` scales the lr
# linearly (auto_scale_lr.base_batch_size = 16); for a small dataset, raise
# train_cfg.max_epochs and the MultiStepLR milestones together.
