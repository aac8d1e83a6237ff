# The real tree-crown set (mmfpn.datasets.trees): 400x400 tiles of aerial RGB images
# from the deepforest wheel, one class, crowns 8.5-106.5 px, COCO format under
# data/trees/. `make real` (tools/make_real.py) builds it; docs/trees.md has its origin,
# licence and the tiling and split rules.
_base_ = './tiny.py'
data_root = 'data/trees/'
metainfo = dict(classes=('tree',), palette=[(40, 160, 60)])
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(400, 400), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(400, 400), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(dataset=dict(data_root=data_root, metainfo=metainfo,
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, metainfo=metainfo,
                                   pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
