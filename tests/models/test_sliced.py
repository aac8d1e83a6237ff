"""Sliced inference on a synthetic large image: the detector's own answers per window,
shifted into the image and merged."""
import copy

import numpy as np
import pytest
import torch
from helpers import ROOT, leaf_config
from mmdet.apis import init_detector
from mmengine.dataset import pseudo_collate
from mmdet.structures import DetDataSample

from mmfpn.apis.slicing import sliced_pipeline
from mmfpn.datasets.tiny import TinySpec, make_scene
from mmfpn.models.detectors.sliced import SlicedInference, window_pipeline
from mmfpn.models.task_modules.windows import window_grid

DEMO = f'{ROOT}/configs/tiny/faster-rcnn_r18-w24_paper-fpn_demo.py'
CANVAS, WINDOW = 3000, 1000


@pytest.fixture(scope='module')
def canvas():
    """A 3000x3000 image (3, H, W) uint8 holding 40 of the tiny generator's scenes."""
    rng = np.random.default_rng(0)
    image = np.full((CANVAS, CANVAS, 3), 128, np.uint8)
    for _ in range(40):
        scene, _ = make_scene(rng, TinySpec())
        x, y = rng.integers(0, CANVAS - 320, 2)
        image[y:y + 320, x:x + 320] = scene
    return torch.from_numpy(image).permute(2, 0, 1).contiguous()


@pytest.fixture(scope='module')
def detector():
    torch.manual_seed(0)
    return init_detector(leaf_config(DEMO), device='cpu').eval()


def sliced(detector, **kwargs):
    """The wrapper sets its detector's caps: each test wraps its own copy."""
    return SlicedInference(copy.deepcopy(detector), sliced_pipeline(leaf_config(DEMO)), slice_size=WINDOW,
                           **kwargs)


def test_sliced_detections_are_the_models_on_the_tiles_shifted_into_the_image(canvas, detector):
    """Windows of 1000 px without overlap tile the 3000 px image exactly (9 tiles): the
    merged set is each tile's detections shifted by the tile's origin, best first."""
    model = sliced(detector, overlap=0.0, batch_size=5, max_per_img=100_000)
    with torch.no_grad():
        got = model.test_step(dict(inputs=[canvas], data_samples=[DetDataSample()]))[0]
    pipeline = model.window_pipeline
    expected = []
    grid = window_grid(CANVAS, CANVAS, WINDOW, 0)
    assert len(grid) == 9
    for x0, y0, x1, y1 in grid:
        crop = canvas[:, y0:y1, x0:x1].permute(1, 2, 0).numpy().copy()
        data = pseudo_collate([pipeline(dict(img=crop, img_shape=crop.shape[:2],
                                             ori_shape=crop.shape[:2]))])
        with torch.no_grad():
            pred = detector.test_step(data)[0].pred_instances
        expected.append(torch.cat([pred.bboxes + torch.tensor([x0, y0, x0, y0]),
                                   pred.scores[:, None], pred.labels[:, None].float()], 1))
    expected = torch.cat(expected)
    found = torch.cat([got.pred_instances.bboxes, got.pred_instances.scores[:, None],
                       got.pred_instances.labels[:, None].float()], 1)
    assert len(found) == len(expected) > 0
    assert torch.equal(found[:, 4], found[:, 4].sort(descending=True).values)
    # Row for row (the batch of 5 windows may round differently from one at a time).
    distance = torch.cdist(found, expected, p=float('inf'))
    assert distance.min(1).values.max() < 1e-3 and distance.min(0).values.max() < 1e-3
    assert found[:, :4].min() >= 0 and found[:, :4].max() <= CANVAS


def test_caps_per_window_and_per_image_are_kept_and_reported(canvas, detector, log_messages):
    model = sliced(detector, overlap=0.25, max_per_window=5, max_per_img=20)
    with torch.no_grad():
        got = model.test_step(dict(inputs=[canvas[:, :1800, :1800]],
                                   data_samples=[DetDataSample(metainfo=dict(img_path='x.png'))]))
    assert len(got[0].pred_instances) == 20
    log = '\n'.join(log_messages)
    assert 'x.png: 9 of 9 windows reached max_per_window=5' in log
    assert 'kept the best max_per_img=20' in log


def test_an_image_smaller_than_a_window_is_one_window_and_said(detector, log_messages):
    model = sliced(detector)
    image = torch.zeros(3, 200, 300, dtype=torch.uint8)
    with torch.no_grad():
        out = model.test_step(dict(inputs=[image], data_samples=[DetDataSample()]))[0]
    assert 'image: 300x200 is smaller than the 1000 px window: one window, the whole image' in log_messages
    assert out.pred_instances.bboxes[:, 2].max() <= 300


@pytest.mark.parametrize('kwargs, message', [
    (dict(slice_size=0), 'slice size must be a positive'),
    (dict(overlap=1.0), r'overlap must be a fraction of a window in \[0, 1\), got 1.0'),
    (dict(overlap=-0.1), 'got -0.1'),
    (dict(batch_size=0), 'windows per batch must be >= 1'),
    (dict(merge='wbf'), "merge must be one of"),
    (dict(max_per_img=0), 'max_per_img must be >= 1'),
])
def test_arguments_that_cannot_work_are_refused_by_name(detector, kwargs, message):
    with pytest.raises(ValueError, match=message):
        SlicedInference(detector, [], **{'slice_size': WINDOW, **kwargs})


def test_pipelines_that_need_more_than_a_window_are_refused():
    with pytest.raises(ValueError, match="LoadProposals"):
        window_pipeline([dict(type='LoadImageFromFile'), dict(type='LoadProposals')])
    assert window_pipeline([dict(type='LoadImageFromFile'), dict(type='mmdet.Resize'),
                            dict(type='LoadAnnotations'), dict(type='PackDetInputs')]) == [
        dict(type='mmdet.Resize'), dict(type='PackDetInputs')]


def test_mask_models_are_refused():
    mask = init_detector(leaf_config(f'{ROOT}/configs/tiny/mask-rcnn_r18_paper-fpn_tiny.py'),
                         device='cpu')
    with pytest.raises(ValueError, match='masks of .* are not merged: test it whole'):
        SlicedInference(mask, [], slice_size=WINDOW)


@pytest.mark.parametrize('backend', ['torch', 'openvino'])
def test_the_fast_path_and_openvino_slice_like_the_stock_detector(canvas, detector, backend):
    from mmfpn.deploy.fast_hook import apply_fast_path
    image = dict(inputs=[canvas[:, :1400, :1400]], data_samples=[DetDataSample()])
    with torch.no_grad():
        stock = sliced(detector).test_step(image)[0].pred_instances
        fast = sliced(apply_fast_path(copy.deepcopy(detector), backend=backend)).test_step(
            image)[0].pred_instances
    assert len(stock) > 0 and torch.equal(stock.labels, fast.labels)
    assert (stock.bboxes - fast.bboxes).abs().max() <= 1e-2
