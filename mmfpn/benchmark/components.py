"""The three components against their stock twins: PaperFPN vs FPN, PaperRoIExtractor vs
SingleRoIExtractor, PaperAnchorGenerator vs AnchorGenerator, with identical weights and
inputs; outputs compared too."""
from typing import List

import torch
from mmdet.models.necks import FPN
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from mmdet.models.task_modules.prior_generators import AnchorGenerator

from mmfpn.benchmark.harness import time_pair
from mmfpn.models import PaperAnchorGenerator, PaperFPN, PaperRoIExtractor
from mmfpn.models.task_modules.paper_anchor_generator import (PAPER_ASPECT_RATIOS,
                                                              PAPER_STRIDES)


R50_CHANNELS = [256, 512, 1024, 2048]


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
