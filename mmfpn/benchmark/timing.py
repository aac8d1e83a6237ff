"""Time mmfpn's components against mmdet's stock ones, in one process and one run.

Every comparison uses identical weights and inputs, warms up, alternates the two
sides run by run (so drift hits both alike), synchronises CUDA, and reports the
median and the ratio ours / stock. Outputs are compared too.
"""
import copy
import importlib.util
import os.path as osp
import statistics
import time
from typing import Callable, Dict, List, Optional, Tuple

import mmdet
import numpy as np
import torch
from mmdet.models.necks import FPN
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from mmdet.models.task_modules.prior_generators import AnchorGenerator
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmfpn.config.load import mim_path
from mmfpn.deploy.fast import make_fast
from mmfpn.models import PaperAnchorGenerator, PaperFPN, PaperRoIExtractor
from mmfpn.models.task_modules.paper_anchor_generator import (PAPER_ASPECT_RATIOS,
                                                              PAPER_STRIDES)
from mmfpn.precision import cpu_has_native_bf16

R50_CHANNELS = [256, 512, 1024, 2048]
STOCK_CONFIG = osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs', '_base_', 'models',
                        'faster-rcnn_r50_fpn.py')
OURS_CONFIG = mim_path('configs', 'faster-rcnn', 'faster-rcnn_r50_paper-fpn_1x_coco.py')
TINY_CONFIG = mim_path('configs', 'tiny', 'faster-rcnn_r18_paper-fpn_tiny.py')


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
    # mmdet's equivalent: base size = stride, scale 8 -> 32..512 px (Sec. 4.1).
    stock = AnchorGenerator(strides=list(PAPER_STRIDES), ratios=list(PAPER_ASPECT_RATIOS),
                            scales=[8])
    sizes = [(-(-height // s), -(-width // s)) for s in PAPER_STRIDES]
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
    stock, ours = build_with_same_weights(stock_cfg, ours_cfg)
    return stock.to(device).eval(), ours.to(device).eval()


def build_with_same_weights(stock_cfg: dict, ours_cfg: dict):
    """Both models, stock's random initialisation copied into ours (no downloads)."""
    for cfg in (stock_cfg, ours_cfg):
        cfg.backbone.init_cfg = None
    torch.manual_seed(0)
    stock = MODELS.build(stock_cfg)
    stock.init_weights()
    ours = MODELS.build(ours_cfg)
    ours.load_state_dict(stock.state_dict(), strict=True)
    return stock, ours


def detector_batch(height: int, width: int, device: str, batch: int = 1) -> dict:
    gen = torch.Generator().manual_seed(3)
    inputs, samples = [], []
    for _ in range(batch):
        inputs.append(torch.randint(0, 256, (3, height, width), generator=gen, dtype=torch.uint8))
        sample = DetDataSample(metainfo=dict(img_shape=(height, width), ori_shape=(height, width),
                                             scale_factor=(1.0, 1.0), pad_shape=(height, width)))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


#: What the "same outputs" columns compare. A randomly initialised detector's class
#: scores lie below the test score threshold, so its detections are empty and
#: comparing them would prove nothing; the outputs before any threshold exist.
COMPARED = 'RPN proposals and RoI class scores before thresholding'


def stage_outputs(model: torch.nn.Module, data: dict) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(proposals (N, 4), class scores (N, C + 1))`` of a two-stage detector: the RPN's
    proposals of every image and the RoI head's class logits on them, through the
    model's own ``extract_feat`` and RPN head (so the fast path and the OpenVINO
    backend are compared on what they replace)."""
    with torch.no_grad():
        batch = model.data_preprocessor(data, False)
        feats = model.extract_feat(batch['inputs'])
        proposals = model.rpn_head.predict(feats, batch['data_samples'], rescale=False)
        cls_score = model.roi_head.forward(feats, proposals, batch['data_samples'])[0]
    boxes = torch.cat([p.bboxes for p in proposals])
    scores = torch.cat([p.scores for p in proposals])
    # Proposals of equal score come out of the RPN's sort in either order from run to
    # run: compare them in one order, by score, then by coordinates.
    keys = torch.cat([boxes, -scores[:, None]], 1).double().numpy()
    order = torch.from_numpy(np.lexsort(keys.T))
    return boxes[order], cls_score[order]


def compare_outputs(a: Tuple[torch.Tensor, torch.Tensor], b: Tuple[torch.Tensor, torch.Tensor],
                    atol: float = 1e-3) -> dict:
    """How two :func:`stage_outputs` agree: ``matched``, the share of ``a``'s proposals
    that ``b`` has too (every coordinate within ``atol`` px); ``max_score_diff``, the
    largest class-logit difference on those; ``same``: all matched, logits within
    ``atol``. Float-level changes (the fast path's folded BN) can move proposals near
    the RPN's NMS and top-k cuts, which ``matched`` shows. Refuses empty outputs."""
    if a[0].numel() == 0:
        raise ValueError('no proposals to compare: the comparison would prove nothing')
    close = (a[0][:, None] - b[0][None]).abs().amax(2) <= atol       # (Na, Nb)
    has = close.any(1)
    partner = close.float().argmax(1)
    diff = (a[1][has] - b[1][partner[has]]).abs().max().item() if has.any() else float('inf')
    matched = has.float().mean().item()
    return dict(same=matched == 1.0 and len(a[0]) == len(b[0]) and diff <= atol,
                matched=matched, max_score_diff=diff)


def bench_detector(height: int, width: int, repeats: int, device: str, batch: int = 1) -> dict:
    """Inference: stock mmdet, mmfpn, mmfpn fast fp32, mmfpn fast bf16."""
    stock, ours = build_detectors(device)
    fast = make_fast(copy.deepcopy(ours))
    fast_bf16 = make_fast(copy.deepcopy(ours), bf16=True)
    data = detector_batch(height, width, device, batch)
    outs = {name: stage_outputs(m, data) for name, m in
            (('stock', stock), ('ours', ours), ('ours_fast', fast))}
    with torch.no_grad():
        t = time_pair({name: (lambda m=m: m.test_step(data)) for name, m in
                       (('stock', stock), ('ours', ours), ('ours_fast', fast),
                        ('ours_fast_bf16', fast_bf16))}, repeats, device)
        parts = time_pair(dict(
            backbone=lambda: stock.backbone(stock.data_preprocessor(data)['inputs']),
            neck=lambda feats=stock.backbone(stock.data_preprocessor(data)['inputs']):
                stock.neck(feats)), repeats, device)
    return dict(t, ours_vs_stock=compare_outputs(outs['stock'], outs['ours']),
                fast_vs_stock=compare_outputs(outs['stock'], outs['ours_fast']),
                stock_backbone=parts['backbone'], stock_neck=parts['neck'],
                compared=COMPARED, num_proposals=len(outs['stock'][0]))


def bench_openvino(height: int, width: int, repeats: int) -> dict:
    """CPU inference: the torch fast path against the OpenVINO backend (f32, bf16),
    and the backend's dense part against bare OpenVINO and against the torch fast
    path's on the same trunk. The latter ratio bounds the end-to-end one: outside
    the dense part both sides run the same torch code, and (T + R) / (O + R) <= T / O.

    Bare OpenVINO is what a user gets without mmfpn: ``openvino.convert_model`` of
    the (unfolded) trunk with a static example input, the CPU plugin with the
    LATENCY hint, torch's thread count and f32 (set, as every row sets its
    precision), called on a numpy array.
    """
    import openvino as ov

    from mmfpn.deploy.openvino import DenseTrunk, use_openvino
    _, ours = build_detectors('cpu')
    data = detector_batch(height, width, 'cpu')
    models = dict(ours_fast=make_fast(copy.deepcopy(ours)),
                  ours_fast_bf16=make_fast(copy.deepcopy(ours), bf16=True),
                  ours_openvino=use_openvino(make_fast(copy.deepcopy(ours))),
                  ours_openvino_bf16=use_openvino(make_fast(copy.deepcopy(ours)), bf16=True))
    outs = {name: stage_outputs(m, data) for name, m in models.items()}  # converts
    with torch.no_grad():
        t = time_pair({name: (lambda m=m: m.test_step(data)) for name, m in models.items()},
                      repeats, 'cpu')
        inputs = ours.data_preprocessor(data)['inputs']
        bare = ov.Core().compile_model(
            ov.convert_model(DenseTrunk(ours).eval(), example_input=inputs), 'CPU',
            {'PERFORMANCE_HINT': 'LATENCY', 'INFERENCE_NUM_THREADS': torch.get_num_threads(),
             # Stated, not left to the plugin: on a native-bf16 CPU OpenVINO's
             # default is bf16, which would compare two precisions.
             'INFERENCE_PRECISION_HINT': 'f32'})
        array = inputs.numpy()
        dense = models['ours_openvino'].openvino
        fast = models['ours_fast']
        trunk = time_pair(dict(backend=lambda: dense(inputs), bare=lambda: bare(array),
                               torch_fast=lambda: fast.rpn_head(fast.extract_feat(inputs))),
                          repeats, 'cpu')
    return dict(t, openvino_vs_fast=compare_outputs(outs['ours_fast'], outs['ours_openvino']),
                compared=COMPARED, num_proposals=len(outs['ours_fast'][0]),
                openvino_precision=models['ours_openvino_bf16'].openvino.precision,
                trunk_backend=trunk['backend'], trunk_bare_openvino=trunk['bare'],
                trunk_torch_fast=trunk['torch_fast'])


#: Phases of a two-stage training step, timed by wrapping these methods on the
#: model (``obj.method``); ``other`` is the step's remainder (losses' parsing,
#: RoI assignment and sampling, hooks of autograd outside these calls).
TRAIN_PHASES = (
    ('data preprocessing', 'data_preprocessor.forward'),
    ('backbone', 'backbone.forward'),
    ('neck', 'neck.forward'),
    ('RPN head convs', 'rpn_head.forward'),
    ('RPN targets + loss', 'rpn_head.loss_by_feat'),
    ('proposals (decode + NMS)', 'rpn_head.predict_by_feat'),
    ('RoI extraction', 'roi_head.bbox_roi_extractor.forward'),
    ('box head fcs', 'roi_head.bbox_head.forward'),
    ('box head targets + loss', 'roi_head.bbox_head.loss_and_target'),
)


class PhaseTimer:
    """Accumulates seconds per phase of :data:`TRAIN_PHASES` plus the optimizer's
    backward and step, by wrapping the methods on the instances (no library edit)."""

    def __init__(self, model: torch.nn.Module, optim_wrapper) -> None:
        self.seconds: Dict[str, float] = {}
        for phase, path in TRAIN_PHASES:
            *owner, method = path.split('.')
            obj = model.get_submodule('.'.join(owner)) if owner else model
            self._wrap(obj, method, phase)
        self._wrap(optim_wrapper, 'backward', 'backward')
        self._wrap(optim_wrapper, 'step', 'optimizer step')

    def _wrap(self, obj, method: str, phase: str) -> None:
        original = getattr(obj, method)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - start
        setattr(obj, method, timed)


def train_batch(height: int, width: int, batch: int, num_classes: int, device: str,
                boxes: int = 8) -> dict:
    """Random uint8 images with ``boxes`` random ground-truth boxes each."""
    from mmengine.structures import InstanceData
    data = detector_batch(height, width, device, batch)
    gen = torch.Generator().manual_seed(4)
    for sample in data['data_samples']:
        xy = torch.rand(boxes, 2, generator=gen) * torch.tensor([width * 0.7, height * 0.7])
        wh = torch.rand(boxes, 2, generator=gen) * min(height, width) * 0.3 + 8
        sample.gt_instances = InstanceData(
            bboxes=torch.cat([xy, xy + wh], 1).to(device),
            labels=torch.randint(0, num_classes, (boxes,), generator=gen).to(device))
    return data


def build_train_pair(config: Config, device: str):
    """mmfpn's model from ``config`` and stock mmdet's equivalent (the config exported
    with :func:`mmfpn.deploy.mmdet_export.to_mmdet_config`, mmdet's default RPN NMS), one set of
    weights; both in train mode."""
    from mmfpn.deploy.mmdet_export import to_mmdet_config
    init_default_scope('mmdet')
    ours_cfg = copy.deepcopy(config.model)
    stock_cfg = to_mmdet_config(config).model
    for key in ('train_cfg.rpn_proposal.nms', 'test_cfg.rpn.nms'):
        node = stock_cfg
        for part in key.split('.'):
            node = node.get(part, {}) if node else {}
        if node:
            node.pop('split_thr', None)
    stock, ours = build_with_same_weights(stock_cfg, ours_cfg)
    return stock.to(device).train(), ours.to(device).train()


def bench_train(config: Config, height: int, width: int, batch: int, repeats: int,
                device: str) -> dict:
    """Training step of stock mmdet fp32, mmfpn fp32 and mmfpn ``--amp`` (in the
    precision it resolves to on the running machine, recorded as ``amp_precision``), same weights and batch, alternating, medians; and the
    median seconds of each phase of stock's and ours' fp32 step (phases do not add
    up to the median total exactly: each is its own median)."""
    from mmengine.optim import OptimWrapper

    from mmfpn.engine.amp import MixedPrecisionOptimWrapper
    stock, ours = build_train_pair(config, device)
    ours_amp = copy.deepcopy(ours)
    num_classes = config.model.roi_head.bbox_head.num_classes
    data = train_batch(height, width, batch, num_classes, device)
    sgd = lambda m: torch.optim.SGD(m.parameters(), lr=0.0, momentum=0.9)  # noqa: E731
    wrappers = dict(stock=OptimWrapper(sgd(stock)), ours=OptimWrapper(sgd(ours)),
                    ours_amp=MixedPrecisionOptimWrapper(optimizer=sgd(ours_amp)))
    models = dict(stock=stock, ours=ours, ours_amp=ours_amp)

    def step(name):
        torch.manual_seed(5)  # the same anchor and RoI samples on every side
        return models[name].train_step(copy.deepcopy(data), wrappers[name])

    losses = {name: step(name) for name in models}
    times = time_pair({name: (lambda n=name: step(n)) for name in models}, repeats, device)
    # Phases: timers on stock and ours, steps alternating, the median of each phase.
    timers = {name: PhaseTimer(models[name], wrappers[name]) for name in ('stock', 'ours')}
    samples: Dict[str, List[Dict[str, float]]] = {name: [] for name in timers}

    def timed_step(name):
        timers[name].seconds = {}
        start = time.perf_counter()
        step(name)
        seconds = timers[name].seconds
        seconds['other'] = time.perf_counter() - start - sum(seconds.values())
        samples[name].append(seconds)

    time_pair({name: (lambda n=name: timed_step(n)) for name in timers}, repeats, device,
              warmup=0)
    phases = {name: {k: statistics.median(s[k] for s in steps) for k in steps[0]}
              for name, steps in samples.items()}
    value = lambda v: float(torch.as_tensor(v).detach())  # noqa: E731
    loss_diff = max(abs(value(losses['stock'][k]) - value(losses['ours'][k]))
                    for k in losses['stock'])
    return dict(times, batch=batch, size=[height, width], phases=phases,
                max_loss_diff_ours_vs_stock=loss_diff,
                amp_precision=wrappers['ours_amp'].precision)


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


#: The CPU flags that decide which kernels oneDNN runs (and whether bf16 is native).
CPU_FLAGS = ('avx2', 'avx512f', 'avx512_bf16', 'amx_bf16')


def machine(device: str) -> dict:
    """What a figure was measured on: device, threads, torch, CPU model and flags."""
    return dict(device=device, threads=torch.get_num_threads(), torch=torch.__version__,
                cpu=_cpu_field('model name'),
                cpu_flags=[f for f in CPU_FLAGS if f in _cpu_field('flags').split()],
                native_bf16=cpu_has_native_bf16())


def run_train(height: int = 800, width: int = 1216, repeats: int = 5,
              device: str = 'cpu') -> dict:
    """The training rows only: R50-FPN at ``height x width``, batch 2; the tiny
    demo config at 320x320, batch 4."""
    return dict(machine=machine(device), train=dict(
        r50_fpn=bench_train(Config.fromfile(OURS_CONFIG), height, width, 2, repeats, device),
        tiny=bench_train(Config.fromfile(TINY_CONFIG), 320, 320, 4, repeats, device)))


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


def _cpu_field(name: str) -> str:
    """A field of the first CPU in ``/proc/cpuinfo`` (``'unknown'`` where there is none)."""
    try:
        with open('/proc/cpuinfo') as f:
            return next(line.split(':', 1)[1].strip() for line in f if line.startswith(name))
    except (OSError, StopIteration):
        return 'unknown'
