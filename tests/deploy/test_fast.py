"""The fast inference path: same detections in fp32; bf16 runs; the benchmark's checks."""
import glob

import pytest
import torch
from helpers import TINY_CONFIG
from mmdet.apis import inference_detector, init_detector

from mmfpn.benchmark.components import bench_anchors, bench_fpn, bench_roi_extractor
from mmfpn.deploy.fast import make_fast


@pytest.mark.slow
def test_fast_fp32_path_gives_the_same_detections(workspace, trained_checkpoint):
    images = sorted(glob.glob(str(workspace / 'data/tiny/val/*.png')))
    options = {'model.test_cfg.rcnn.score_thr': 0.0}
    stock = init_detector(TINY_CONFIG, trained_checkpoint, device='cpu', cfg_options=options)
    fast = make_fast(init_detector(TINY_CONFIG, trained_checkpoint, device='cpu',
                                   cfg_options=options))
    total = 0
    for image in images:
        a = inference_detector(stock, image).pred_instances
        b = inference_detector(fast, image).pred_instances
        assert torch.equal(a.labels, b.labels)
        assert (a.bboxes - b.bboxes).abs().max().item() <= 1e-3
        total += len(a)
    assert total > 0
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fast.modules())


@pytest.mark.slow
@pytest.mark.parametrize('flags', [['--fast'], ['--fast', '--bf16']])
def test_tools_test_fast_and_bf16(tools_test, flags):
    bbox_map, log = tools_test(*flags)
    assert 'coco/bbox_mAP:' in log and 0.0 <= bbox_map <= 1.0


def test_benchmark_compares_identical_computations():
    assert bench_fpn(64, 96, 1, 'cpu')['max_abs_diff'] <= 1e-6
    roi = bench_roi_extractor(128, 160, 1, 'cpu', per_image=50)
    assert roi['max_abs_diff'] <= 1e-6 and sum(roi['rois_per_level']) == 100
    assert bench_anchors(128, 160, 1, 'cpu')['identical']
