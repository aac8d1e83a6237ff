"""The scale analysis's geometry against hand-computed values."""
import math

import pytest
import torch

from mmfpn.analysis.scales import PAPER_SCALE_TO_ANCHOR, best_anchor_iou, resize_factors
from mmfpn.models import PaperAnchorGenerator


def test_best_anchor_iou_of_boxes_equal_to_anchors():
    gen = PaperAnchorGenerator()
    # A 32x32 box centred on a P2 grid point is the P2 square anchor: IoU 1. The P3
    # square anchor (64) on the same centre contains it: IoU 32^2 / 64^2.
    box = torch.tensor([[48., 48., 80., 80.]], dtype=torch.float64)
    iou = best_anchor_iou(box, [b.double() for b in gen.base_anchors], [4, 8, 16, 32, 64])
    assert iou[0, 0].item() == pytest.approx(1.0, abs=1e-6)
    assert iou[0, 1].item() == pytest.approx(0.25, abs=1e-6)
    assert iou[0, 4].item() == pytest.approx(32 ** 2 / 512 ** 2, abs=1e-6)
    # A 256 box centred half a P5 stride off P5's grid (x = 144 = 4.5 * 32): the best
    # P5 anchor (256, square) is 16 px away: IoU 240 * 256 / (2 * 256^2 - 240 * 256).
    big = torch.tensor([[16., 0., 272., 256.]], dtype=torch.float64)
    iou = best_anchor_iou(big, [b.double() for b in gen.base_anchors], [4, 8, 16, 32, 64])
    assert iou[0, 3].item() == pytest.approx(240 * 256 / (2 * 256 ** 2 - 240 * 256), abs=1e-6)


def test_resize_factors_follow_mmdet_resize():
    assert resize_factors(400, 600, dict(scale=(1333, 800), keep_ratio=True)) == (2.0, 2.0)
    fx, fy = resize_factors(1000, 3000, dict(scale=(1333, 800), keep_ratio=True))
    assert fx == fy == pytest.approx(1333 / 3000, rel=1e-3)
    assert resize_factors(100, 200, dict(scale=(320, 240), keep_ratio=False)) == (1.6, 2.4)
    assert resize_factors(100, 200, None) == (1.0, 1.0)


def test_canonical_scale_keeps_the_papers_ratio():
    assert PAPER_SCALE_TO_ANCHOR * 32 == 224 and math.isclose(PAPER_SCALE_TO_ANCHOR * 16, 112)
