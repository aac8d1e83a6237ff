"""Reading the training scales of every resize mmcv and mmdet ship."""
import numpy as np
import pytest
from mmdet.registry import TRANSFORMS
from mmengine.registry import init_default_scope

from mmfpn.analysis.resize import TrainScale, scale_extremes, train_scales
from mmfpn.config.load import ConfigError


def scales(*steps, wrap=False):
    dataset = dict(type='CocoDataset', pipeline=list(steps))
    if wrap:
        dataset = dict(type='MultiImageMixDataset', dataset=dataset, pipeline=[])
    return train_scales(dataset)


@pytest.mark.parametrize('step,expected', [
    # mmcv's Resize default is keep_ratio=False: the image is stretched to the scale.
    (dict(type='Resize', scale=(1333, 800)), [TrainScale((1333, 800), False)]),
    (dict(type='mmdet.Resize', scale=640, keep_ratio=True), [TrainScale((640, 640), True)]),
    (dict(type='Resize', scale_factor=0.5), [TrainScale(None, False, factor=(0.5, 0.5))]),
    # Large-scale jitter: scale x ratio, int-truncated as mmcv does.
    (dict(type='RandomResize', scale=(1333, 800), ratio_range=(0.1, 2.0), keep_ratio=True),
     [TrainScale((133, 80), True), TrainScale((2666, 1600), True)]),
    # Each edge sampled between the scales' edges.
    (dict(type='RandomResize', scale=[(1333, 640), (1333, 800)], keep_ratio=True),
     [TrainScale((1333, 640), True), TrainScale((1333, 800), True)]),
    (dict(type='RandomChoiceResize', scales=[(1333, 640), (1333, 672), (1333, 800)],
          keep_ratio=True),
     [TrainScale((1333, 640), True), TrainScale((1333, 672), True), TrainScale((1333, 800), True)]),
    (dict(type='FixShapeResize', width=1024, height=512, keep_ratio=True),
     [TrainScale((1024, 512), True, fit=True)]),
])
def test_each_resize_is_read_as_mmcv_runs_it(step, expected):
    got = scales(step)
    assert [s._replace(source='') for s in got] == expected
    assert all(step['type'] in s.source for s in got)


def test_resizes_in_branches_and_wrappers_are_found_and_extremes_kept():
    choice = dict(type='RandomChoice', transforms=[
        [dict(type='RandomChoiceResize', scales=[(480, 1333), (800, 1333)], keep_ratio=True)],
        [dict(type='RandomChoiceResize', scales=[(400, 4200), (600, 4200)], keep_ratio=True)]])
    found = scales(choice, wrap=True)
    assert [s.scale for s in scale_extremes(found)] == [(480, 1333), (600, 4200)]


@pytest.mark.parametrize('step,named', [
    (dict(type='Resize', keep_ratio=True), 'Resize(keep_ratio=True) has neither scale'),
    (dict(type='RandomResize', scale='big', ratio_range=(0.5, 1.0)), "scale='big' of RandomResize"),
    (dict(type='RandomChoiceResize'), 'RandomChoiceResize() names no scale'),
])
def test_an_unreadable_resize_is_named(step, named):
    with pytest.raises(ConfigError, match=named.replace('(', r'\(').replace(')', r'\)')):
        scales(step)


@pytest.mark.parametrize('step', [
    dict(type='Resize', scale=(320, 240)),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='FixShapeResize', width=300, height=200, keep_ratio=True),
    dict(type='FixShapeResize', width=300, height=200),
])
def test_factors_equal_those_the_transform_applies(step):
    init_default_scope('mmdet')
    image = np.zeros((100, 250, 3), np.uint8)
    out = TRANSFORMS.build(step)(dict(img=image, img_shape=image.shape[:2],
                                      ori_shape=image.shape[:2]))
    fx, fy = scales(step)[0].factors(100, 250)
    # The transform rounds the new size to pixels and reports the factors of the rounded size.
    assert out['scale_factor'] == pytest.approx((fx, fy), rel=5e-3)


@pytest.mark.slow
def test_the_train_pipeline_of_every_zoo_config_with_an_fpn_part_is_read(mmdet_configs):
    """Every mmdet config whose model uses FPN, AnchorGenerator or SingleRoIExtractor
    (the configs adopt checks): its training scales are read without an exception."""
    from mmfpn.config.registered import type_name
    from mmfpn.config.stock import FROM_STOCK
    from mmfpn.config.tree import walk_dicts
    read, multi = 0, 0
    for name, cfg in mmdet_configs.items():
        if not any(type_name(n.get('type')) in FROM_STOCK
                   for _, n in walk_dicts(cfg.get('model') or {})):
            continue
        dataset = (cfg.get('train_dataloader') or {}).get('dataset')
        if dataset is None:
            continue
        extremes = scale_extremes(train_scales(dataset.to_dict()))
        read += 1
        multi += len(extremes) > 1
    assert (read, multi) == (625, 215)  # mmdet 3.3.0's configs
