"""Time mmfpn's components against mmdet's stock ones, in one process and one run.

Every comparison uses identical weights and inputs, warms up, alternates the two
sides run by run (so drift hits both alike), synchronises CUDA, and reports the
median and the ratio ours / stock. Outputs are compared too.
"""
import importlib.util
from typing import List, Optional

from mmengine.config import Config

from mmfpn.benchmark.components import bench_anchors, bench_fpn, bench_roi_extractor
from mmfpn.benchmark.detector import OURS_CONFIG, bench_detector, bench_openvino, flops
from mmfpn.benchmark.harness import machine
from mmfpn.benchmark.training import TINY_CONFIG, bench_train
from mmfpn.config.load import DEMO_CONFIG, mim_path


def run_train(height: int = 800, width: int = 1216, repeats: int = 5,
              device: str = 'cpu') -> dict:
    """The training rows only: R50-FPN at ``height x width``, batch 2; the full-width
    tiny config and ``make demo``'s config (3/8 width, 500 training proposals) at
    320x320, batch 4."""
    demo = Config.fromfile(mim_path(*DEMO_CONFIG.split('/')))
    return dict(machine=machine(device), train=dict(
        r50_fpn=bench_train(Config.fromfile(OURS_CONFIG), height, width, 2, repeats, device),
        tiny=bench_train(Config.fromfile(TINY_CONFIG), 320, 320, 4, repeats, device),
        demo=bench_train(demo, 320, 320, 4, repeats, device)))


def run_all(height: int = 800, width: int = 1216, repeats: int = 5, device: str = 'cpu',
            batch_sizes: Optional[List[int]] = None, train: bool = True) -> dict:
    results = dict(
        machine=machine(device),
        fpn=bench_fpn(height, width, repeats, device),
        roi_extractor=bench_roi_extractor(height, width, repeats, device),
        anchors=bench_anchors(height, width, repeats, device),
        detector={f'batch{b}': bench_detector(height, width, repeats, device, b)
                  for b in (batch_sizes or [1])},
        flops=flops(height, width))
    if device == 'cpu' and importlib.util.find_spec('openvino') is not None:
        results['openvino'] = bench_openvino(height, width, repeats)
    if train:
        results['train'] = run_train(height, width, repeats, device)['train']
    return results
