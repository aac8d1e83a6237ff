"""One training step, stock mmdet against mmfpn (fp32 and ``--amp``): same weights,
batch and samples; each phase of the step timed by wrapping the model's methods."""
import copy
import statistics
import time
from typing import Dict, List

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmfpn.benchmark.detector import build_with_same_weights, detector_batch
from mmfpn.benchmark.harness import time_pair
from mmfpn.config.load import mim_path


TINY_CONFIG = mim_path('configs', 'tiny', 'faster-rcnn_r18_paper-fpn_tiny.py')
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
