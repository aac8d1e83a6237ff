# The paper's Fast/Faster R-CNN schedule (Sec. 5.2): synchronized SGD on 8 GPUs x 2
# images, lr 0.02 for 60k mini-batches then 0.002 for 20k; momentum 0.9, weight
# decay 1e-4. The 500-iteration linear warm-up (from lr/3) is Detectron's; the
# paper does not mention one. Delete param_scheduler[0] to remove it.
# Use with ../iter_runtime.py (iteration-based checkpoints and logs).
max_iters = 80000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[60000],
         gamma=0.1),
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4))
# 8 GPUs x 2 images. With another total batch, `--auto-scale-lr` scales the lr.
auto_scale_lr = dict(enable=False, base_batch_size=16)
