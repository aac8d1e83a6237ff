"""Faster R-CNN R50-FPN inference, stock mmdet against mmfpn (and its fast path and
OpenVINO backend), with the same random weights; outputs compared before thresholding."""
import copy
import os.path as osp
from typing import Dict, Tuple

import mmdet
import numpy as np
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmfpn.benchmark.components import random_rois
from mmfpn.benchmark.harness import time_pair
from mmfpn.config.load import mim_path
from mmfpn.deploy.fast import make_fast


STOCK_CONFIG = osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs', '_base_', 'models',
                        'faster-rcnn_r50_fpn.py')
OURS_CONFIG = mim_path('configs', 'faster-rcnn', 'faster-rcnn_r50_paper-fpn_1x_coco.py')


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


def detector_batch(height: int, width: int, device: str, batch: int = 1, seed: int = 3) -> dict:
    gen = torch.Generator().manual_seed(seed)
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


#: The tiny row of the OpenVINO benchmark: the demo config (random weights) at 320x320.
TINY_BENCH_CONFIG = mim_path('configs', 'tiny', 'faster-rcnn_r18-w24_paper-fpn_demo.py')
TINY_SIZE = (320, 320)
#: Images the benchmark's INT8 model is calibrated on (random, as its weights: the
#: speed of INT8 does not depend on the ranges; its accuracy is measured on trained
#: models in docs/openvino.md).
BENCH_CALIB = 8


def build_tiny_detector() -> torch.nn.Module:
    """The demo config's detector with seeded random weights (no checkpoint needed)."""
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(TINY_BENCH_CONFIG).model)
    model.init_weights()
    return model.eval()


def int8_detector(fast: torch.nn.Module, calibration: list) -> torch.nn.Module:
    """``fast`` (a :func:`make_fast` detector, changed in place) on the OpenVINO backend
    with its dense part quantized to INT8 on ``calibration`` (preprocessed batches).
    Not checked against torch: random weights give near-zero RPN maps, which INT8
    rounds to nothing; trained models are checked (``tools/export_openvino.py``)."""
    from mmfpn.deploy.int8 import quantize_dense
    from mmfpn.deploy.openvino import OpenVINODense, convert_dense, use_openvino
    quantized = quantize_dense(convert_dense(fast, calibration[0]),
                               [x.numpy() for x in calibration])
    model = use_openvino(fast)
    model.openvino = OpenVINODense(quantized)
    return model


def bench_openvino(height: int, width: int, repeats: int, tiny: bool = False) -> dict:
    """CPU inference: the torch fast path against the OpenVINO backend (f32, bf16,
    INT8), and the backend's dense part against bare OpenVINO and against the torch
    fast path's on the same trunk. The latter ratio bounds the end-to-end one: outside
    the dense part both sides run the same torch code, and (T + R) / (O + R) <= T / O.

    ``tiny``: the demo config's detector instead of Faster R-CNN R50-FPN.

    Bare OpenVINO is what a user gets without mmfpn: ``openvino.convert_model`` of
    the (unfolded) trunk with a static example input, the CPU plugin with the
    LATENCY hint, torch's thread count and f32 (set, as every row sets its
    precision), called on a numpy array.
    """
    import openvino as ov

    from mmfpn.deploy.openvino import DenseTrunk, use_openvino
    ours = build_tiny_detector() if tiny else build_detectors('cpu')[1]
    data = detector_batch(height, width, 'cpu')
    calibration = [ours.data_preprocessor(detector_batch(height, width, 'cpu', seed=k))['inputs']
                   for k in range(BENCH_CALIB)]
    models = dict(ours_fast=make_fast(copy.deepcopy(ours)),
                  ours_fast_bf16=make_fast(copy.deepcopy(ours), bf16=True),
                  ours_openvino=use_openvino(make_fast(copy.deepcopy(ours))),
                  ours_openvino_bf16=use_openvino(make_fast(copy.deepcopy(ours)), bf16=True),
                  ours_openvino_int8=int8_detector(make_fast(copy.deepcopy(ours)), calibration))
    # Converts; the INT8 model's outputs are not compared: with random weights its RPN
    # maps are near zero and INT8 rounds them away (accuracy: trained models, docs).
    outs = {name: stage_outputs(m, data) for name, m in models.items()}
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
        int8 = models['ours_openvino_int8'].openvino
        fast = models['ours_fast']
        trunk = time_pair(dict(backend=lambda: dense(inputs), bare=lambda: bare(array),
                               int8=lambda: int8(inputs),
                               torch_fast=lambda: fast.rpn_head(fast.extract_feat(inputs))),
                          repeats, 'cpu')
    return dict(t, model=f'{"demo config (tiny)" if tiny else "Faster R-CNN R50-FPN"} '
                         f'{height}x{width}',
                openvino_vs_fast=compare_outputs(outs['ours_fast'], outs['ours_openvino']),
                compared=COMPARED, num_proposals=len(outs['ours_fast'][0]),
                openvino_precision=models['ours_openvino_bf16'].openvino.precision,
                trunk_backend=trunk['backend'], trunk_bare_openvino=trunk['bare'],
                trunk_int8=trunk['int8'], trunk_torch_fast=trunk['torch_fast'])


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
