"""Time mmfpn's components against mmdet's stock ones, in one process and one run.

Every comparison uses identical weights and inputs, warms up, alternates the two
sides run by run (so drift hits both alike), synchronises CUDA, and reports the
median and the ratio ours / stock. Outputs are compared too.
"""
import copy
import os.path as osp
import statistics
import time
from typing import Callable, Dict, List, Optional

import mmdet
import torch
from mmdet.models.necks import FPN
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from mmdet.models.task_modules.prior_generators import AnchorGenerator
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmfpn.engine.fast_inference import make_fast
from mmfpn.models import PaperAnchorGenerator, PaperFPN, PaperRoIExtractor

R50_CHANNELS = [256, 512, 1024, 2048]
STOCK_CONFIG = osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs', '_base_', 'models',
                        'faster-rcnn_r50_fpn.py')
OURS_CONFIG = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs',
                       'faster-rcnn', 'faster-rcnn_r50_paper-fpn_1x_coco.py')


def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def time_pair(fns: Dict[str, Callable[[], object]], repeats: int, device: str,
              warmup: int = 1) -> Dict[str, float]:
    """Median seconds of each function, run alternately ``repeats`` times.

    The order alternates round by round (A B, B A, ...) so that neither side is
    always first after the other has filled the caches.
    """
    times: Dict[str, List[float]] = {name: [] for name in fns}
    items = list(fns.items())
    for i in range(warmup + repeats):
        for name, fn in (items if i % 2 == 0 else items[::-1]):
            _sync(device)
            start = time.perf_counter()
            fn()
            _sync(device)
            if i >= warmup:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def pyramid_inputs(height: int, width: int, device: str) -> List[torch.Tensor]:
    """ResNet-50 C2..C5 of an ``height x width`` image."""
    gen = torch.Generator().manual_seed(0)
    feats, h, w = [], -(-height // 4), -(-width // 4)
    for c in R50_CHANNELS:
        feats.append(torch.randn(1, c, h, w, generator=gen).to(device))
        h, w = -(-h // 2), -(-w // 2)
    return feats


def bench_fpn(height: int, width: int, repeats: int, device: str) -> dict:
    ours = PaperFPN(R50_CHANNELS, 256, num_outs=5).to(device).eval()
    stock = FPN(R50_CHANNELS, 256, num_outs=5).to(device).eval()
    stock.load_state_dict(ours.state_dict())
    feats = pyramid_inputs(height, width, device)
    with torch.no_grad():
        diff = max((a - b).abs().max().item() for a, b in zip(ours(feats), stock(feats)))
        t = time_pair(dict(ours=lambda: ours(feats), stock=lambda: stock(feats)), repeats, device)
    return dict(t, max_abs_diff=diff)


def random_rois(per_image: int, images: int, height: int, width: int, device: str) -> torch.Tensor:
    """RoIs with sqrt(area) log-uniform in [32, 800] px: every level of P2..P5 gets some."""
    gen = torch.Generator().manual_seed(1)
    rois = []
    for b in range(images):
        side = torch.exp(torch.empty(per_image).uniform_(3.47, 6.68, generator=gen))
        ratio = torch.exp(torch.empty(per_image).uniform_(-0.7, 0.7, generator=gen))
        w, h = side * ratio.sqrt(), side / ratio.sqrt()
        cx, cy = torch.rand(per_image, generator=gen) * width, torch.rand(per_image, generator=gen) * height
        rois.append(torch.stack([torch.full_like(cx, b), cx - w / 2, cy - h / 2,
                                 cx + w / 2, cy + h / 2], 1))
    return torch.cat(rois).to(device)


def bench_roi_extractor(height: int, width: int, repeats: int, device: str,
                        per_image: int = 1000, images: int = 2) -> dict:
    layer = dict(type='RoIAlign', output_size=7, sampling_ratio=0)
    ours = PaperRoIExtractor(layer, 256, [4, 8, 16, 32]).to(device)
    stock = SingleRoIExtractor(layer, 256, [4, 8, 16, 32]).to(device)
    gen = torch.Generator().manual_seed(2)
    feats, h, w = [], -(-height // 4), -(-width // 4)
    for _ in range(4):
        feats.append(torch.randn(images, 256, h, w, generator=gen).to(device))
        h, w = -(-h // 2), -(-w // 2)
    rois = random_rois(per_image, images, height, width, device)
    with torch.no_grad():
        diff = (ours(feats, rois) - stock(feats, rois)).abs().max().item()
        t = time_pair(dict(ours=lambda: ours(feats, rois), stock=lambda: stock(feats, rois)),
                      repeats, device)
    levels = torch.bincount(ours.map_roi_levels(rois, 4), minlength=4).tolist()
    return dict(t, max_abs_diff=diff, rois_per_level=levels)


def bench_anchors(height: int, width: int, repeats: int, device: str) -> dict:
    ours = PaperAnchorGenerator()
    stock = AnchorGenerator(strides=[4, 8, 16, 32, 64], ratios=[0.5, 1.0, 2.0], scales=[8])
    sizes = [(-(-height // s), -(-width // s)) for s in (4, 8, 16, 32, 64)]
    equal = all(torch.equal(a, b) for a, b in zip(ours.grid_priors(sizes, device=device),
                                                  stock.grid_priors(sizes, device=device)))
    t = time_pair(dict(ours=lambda: ours.grid_priors(sizes, device=device),
                       stock=lambda: stock.grid_priors(sizes, device=device)), repeats, device)
    return dict(t, identical=equal)


def build_detectors(device: str):
    """Stock mmdet Faster R-CNN R50-FPN and mmfpn's, with the same random weights."""
    init_default_scope('mmdet')
    stock_cfg = Config.fromfile(STOCK_CONFIG).model
    ours_cfg = Config.fromfile(OURS_CONFIG).model
    for cfg in (stock_cfg, ours_cfg):
        cfg.backbone.init_cfg = None
    torch.manual_seed(0)
    stock = MODELS.build(stock_cfg)
    stock.init_weights()
    ours = MODELS.build(ours_cfg)
    ours.load_state_dict(stock.state_dict(), strict=True)
    return stock.to(device).eval(), ours.to(device).eval()


def detector_batch(height: int, width: int, device: str, batch: int = 1) -> dict:
    gen = torch.Generator().manual_seed(3)
    inputs, samples = [], []
    for _ in range(batch):
        inputs.append(torch.randint(0, 256, (3, height, width), generator=gen, dtype=torch.uint8))
        sample = DetDataSample(metainfo=dict(img_shape=(height, width), ori_shape=(height, width),
                                             scale_factor=(1.0, 1.0), pad_shape=(height, width)))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def same_detections(a, b, atol: float = 1e-3) -> bool:
    for x, y in zip(a, b):
        x, y = x.pred_instances, y.pred_instances
        if len(x) != len(y) or not torch.equal(x.labels, y.labels):
            return False
        if len(x) and (x.bboxes - y.bboxes).abs().max().item() > atol:
            return False
    return True


def bench_detector(height: int, width: int, repeats: int, device: str, batch: int = 1) -> dict:
    """Inference: stock mmdet, mmfpn, mmfpn fast fp32, mmfpn fast bf16."""
    stock, ours = build_detectors(device)
    fast = make_fast(copy.deepcopy(ours))
    fast_bf16 = make_fast(copy.deepcopy(ours), bf16=True)
    data = detector_batch(height, width, device, batch)
    with torch.no_grad():
        outs = {name: m.test_step(data) for name, m in
                (('stock', stock), ('ours', ours), ('ours_fast', fast))}
        t = time_pair({name: (lambda m=m: m.test_step(data)) for name, m in
                       (('stock', stock), ('ours', ours), ('ours_fast', fast),
                        ('ours_fast_bf16', fast_bf16))}, repeats, device)
        parts = time_pair(dict(
            backbone=lambda: stock.backbone(stock.data_preprocessor(data)['inputs']),
            neck=lambda feats=stock.backbone(stock.data_preprocessor(data)['inputs']):
                stock.neck(feats)), repeats, device)
    return dict(t, ours_same_as_stock=same_detections(outs['stock'], outs['ours']),
                fast_same_as_stock=same_detections(outs['stock'], outs['ours_fast']),
                stock_backbone=parts['backbone'], stock_neck=parts['neck'],
                num_detections=[len(o.pred_instances) for o in outs['stock']])


def bench_train_iter(height: int, width: int, repeats: int, device: str) -> dict:
    from mmengine.optim import OptimWrapper
    stock, ours = build_detectors(device)
    data = detector_batch(height, width, device)
    gen = torch.Generator().manual_seed(4)
    for sample in data['data_samples']:
        from mmengine.structures import InstanceData
        xy = torch.rand(8, 2, generator=gen) * torch.tensor([width * 0.7, height * 0.7])
        wh = torch.rand(8, 2, generator=gen) * 300 + 20
        sample.gt_instances = InstanceData(bboxes=torch.cat([xy, xy + wh], 1),
                                           labels=torch.randint(0, 80, (8,), generator=gen))
    wrappers = {}
    for name, model in (('stock', stock), ('ours', ours)):
        model.train()
        wrappers[name] = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9))
    return time_pair({name: (lambda m=m, w=wrappers[name]: m.train_step(data, w))
                      for name, m in (('stock', stock), ('ours', ours))}, repeats, device)


def flops(height: int, width: int) -> Dict[str, float]:
    """GFLOPs (multiply-adds counted once, as fvcore/mmengine do) per component."""
    from mmengine.analysis import FlopAnalyzer
    stock, ours = build_detectors('cpu')
    x = torch.zeros(1, 3, height, width)
    with torch.no_grad():
        c = ours.backbone(x)
        p = ours.neck(c)
        rois = random_rois(1000, 1, height, width, 'cpu')
        pooled = ours.roi_head.bbox_roi_extractor(p[:4], rois)
    count = lambda m, inp: FlopAnalyzer(m, inp).total() / 1e9  # noqa: E731
    return dict(backbone=count(ours.backbone, (x,)), neck=count(ours.neck, (c,)),
                rpn_head=count(ours.rpn_head, (p,)),
                roi_head=count(ours.roi_head.bbox_head, (pooled,)))


def run_all(height: int = 800, width: int = 1216, repeats: int = 5, device: str = 'cpu',
            batch_sizes: Optional[List[int]] = None, train: bool = True) -> dict:
    results = dict(
        machine=dict(device=device, threads=torch.get_num_threads(), torch=torch.__version__,
                     cpu=_cpu_name()),
        fpn=bench_fpn(height, width, repeats, device),
        roi_extractor=bench_roi_extractor(height, width, repeats, device),
        anchors=bench_anchors(height, width, repeats, device),
        detector={f'batch{b}': bench_detector(height, width, repeats, device, b)
                  for b in (batch_sizes or [1])},
        flops=flops(height, width))
    if train:
        results['train_iter'] = bench_train_iter(height, width, repeats, device)
    return results


def _cpu_name() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            return next(line.split(':', 1)[1].strip() for line in f if line.startswith('model name'))
    except (OSError, StopIteration):
        return 'unknown'


def markdown(results: dict) -> str:
    m = results['machine']
    lines = [f'Machine: {m["cpu"]}, {m["threads"]} threads, torch {m["torch"]}, '
             f'device {m["device"]}. Median seconds.', '',
             '| what | stock mmdet | mmfpn | ratio ours/stock | outputs |', '|---|---|---|---|---|']

    def row(name, r, ours='ours', note=''):
        lines.append(f'| {name} | {r["stock"]:.4f} | {r[ours]:.4f} | '
                     f'{r[ours] / r["stock"]:.2f} | {note} |')
    row('PaperFPN vs FPN', results['fpn'], note=f'max abs diff {results["fpn"]["max_abs_diff"]:.1e}')
    row('PaperRoIExtractor vs SingleRoIExtractor (2x1000 RoIs)', results['roi_extractor'],
        note=f'max abs diff {results["roi_extractor"]["max_abs_diff"]:.1e}')
    row('anchors P2..P6', results['anchors'], note=f'identical: {results["anchors"]["identical"]}')
    for key, d in results['detector'].items():
        row(f'Faster R-CNN R50-FPN inference, {key}', d,
            note=f'same detections: {d["ours_same_as_stock"]}')
        row(f'... fast path fp32, {key}', d, 'ours_fast',
            note=f'same detections: {d["fast_same_as_stock"]}')
        row(f'... fast path bf16 trunk, {key}', d, 'ours_fast_bf16', note='numbers change')
    if 'train_iter' in results:
        row('training iteration (batch 1)', results['train_iter'])
    f = results['flops']
    total = sum(f.values())
    d = results['detector']['batch1']
    lines += ['', '| component | GFLOPs | share of FLOPs |', '|---|---|---|']
    lines += [f'| {k} | {v:.1f} | {v / total:.0%} |' for k, v in f.items()]
    lines += ['', f'Neck share (stock model, batch 1): {d["stock_neck"]:.3f} s of '
              f'{d["stock"]:.3f} s inference ({d["stock_neck"] / d["stock"]:.0%}); backbone '
              f'{d["stock_backbone"]:.3f} s; neck/backbone time {d["stock_neck"] / d["stock_backbone"]:.0%}, '
              f'FLOPs {f["neck"] / f["backbone"]:.0%}.']
    return '\n'.join(lines)
