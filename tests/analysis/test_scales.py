"""The scale analysis's geometry against hand-computed values."""
import math

import pytest
import torch

import numpy as np

from mmfpn.analysis.anchor_search import (MIN_GAIN, best_anchor_iou, candidate_anchors, gains,
                                          recommend)
from mmfpn.analysis.scale_report import ScaleReport
from mmfpn.analysis.scales import PAPER_SCALE_TO_ANCHOR
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


def test_canonical_scale_keeps_the_papers_ratio():
    assert PAPER_SCALE_TO_ANCHOR * 32 == 224 and math.isclose(PAPER_SCALE_TO_ANCHOR * 16, 112)


# --- the recommendation on box sets with a known answer ------------------------------
STRIDES = [4, 8, 16, 32, 64]
PAPER_RATIOS = [0.5, 1.0, 2.0]
#: The tiny configs' anchors: 16..256 on P2..P6, centred at the grid origin.
CONFIG_FINEST = 16.0


def squares(sides, count=40, seed=0):
    """``count`` boxes per side length, centred on random stride-4 grid points."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for side in sides:
        centre = torch.randint(20, 80, (count, 2), generator=gen).double() * 4
        out.append(torch.cat([centre - side / 2, centre + side / 2], 1))
    return torch.cat(out)


def run(boxes, pos_thr=0.7):
    centres = [torch.zeros(2, dtype=torch.float64)] * len(STRIDES)
    config = candidate_anchors(centres, CONFIG_FINEST, STRIDES, PAPER_RATIOS)
    config_best = best_anchor_iou(boxes, config, STRIDES).max(1).values
    return config_best, recommend(boxes, config_best, CONFIG_FINEST, centres, STRIDES,
                                  pos_thr, PAPER_RATIOS)


def below(best, boxes, lo, hi, pos_thr=0.7):
    size = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).sqrt()
    sel = (size >= lo) & (size < hi)
    return float((best[sel] < pos_thr).double().mean())


def test_a_config_that_is_already_right_is_kept():
    boxes = squares([16, 32, 64, 128, 256])  # each one anchor exactly, on the grid
    config_best, pick = run(boxes)
    assert pick.keep_config and pick.finest == CONFIG_FINEST and pick.ratios == PAPER_RATIOS
    assert torch.equal(pick.best_iou, config_best)


def test_two_scale_modes_gain_without_losing_a_size_group():
    """Boxes of 11 px and 180 px: the 16..256 anchors miss both modes at IoU 0.7."""
    boxes = squares([11, 180])
    config_best, pick = run(boxes)
    assert not pick.keep_config
    assert float((pick.best_iou >= 0.7).double().mean()) > float((config_best >= 0.7).double().mean())
    for lo, hi in ((0, 32), (96, 1e9)):
        assert below(pick.best_iou, boxes, lo, hi) <= below(config_best, boxes, lo, hi)


def test_a_gain_elsewhere_never_takes_the_small_objects_positive_anchors():
    """Many 45 px boxes, which 16..256 anchors miss, and a few 16 px boxes they match:
    a finest size near 45 / 2^k would match more boxes overall but leave the 16 px
    boxes without a positive anchor, so it is not recommended."""
    boxes = torch.cat([squares([16], count=20), squares([45], count=200, seed=1)])
    config_best, pick = run(boxes)
    assert below(config_best, boxes, 0, 32) == 0.0
    assert below(pick.best_iou, boxes, 0, 32) == 0.0


def test_elongated_boxes_get_ratios_of_their_shape():
    """Boxes 4x as high as wide, which no 1:2..2:1 anchor of any size matches at IoU 0.7
    (at best 0.55): the recommendation's ratios centre on 4."""
    base = squares([40, 80], count=60)
    centre = (base[:, :2] + base[:, 2:]) / 2
    side = (base[:, 2] - base[:, 0])[:, None]
    half = torch.cat([side / (2 * 4 ** 0.5), side * 4 ** 0.5 / 2], 1)
    boxes = torch.cat([centre - half, centre + half], 1)
    config_best, pick = run(boxes)
    assert not pick.keep_config and pick.ratios == [2.0, 4.0, 8.0]
    assert float((pick.best_iou >= 0.7).double().mean()) > float((config_best >= 0.7).double().mean())


# --- whether a candidate changes enough boxes to be worth training with ---------------
def test_gains_count_lifted_and_rescued_boxes_net_of_losses():
    config = np.array([0.8, 0.5, 0.2, 0.1, 0.75])
    new = np.array([0.8, 0.72, 0.5, 0.25, 0.65])  # one lifted, one lost, one rescued
    lifted, rescued = gains(config, new, 0.7, 0.3)
    assert lifted == pytest.approx(0.0) and rescued == pytest.approx(0.2)


def report(config_best, new_best):
    n = len(config_best)
    return ScaleReport(sizes=np.full(n, 20.0), roi_levels=np.zeros(n, dtype=np.int64),
                       roi_strides=[8, 16], best_iou=np.asarray(config_best)[:, None],
                       anchor_strides=[8],
                       pos_iou_thr=0.7, neg_iou_thr=0.3, canonical_scale=112.0,
                       recommended_sizes=[22.6], recommended_canonical_scale=158.0,
                       coverage_by_size={}, recommended_best_iou=np.asarray(new_best),
                       config_ratios=PAPER_RATIOS, recommended_ratios=PAPER_RATIOS)


def test_a_small_change_is_shown_but_not_recommended():
    """5 of 100 boxes lifted to IoU 0.7, none rescued: below MIN_GAIN (10%)."""
    config_best = np.full(100, 0.5)
    small = report(config_best, np.where(np.arange(100) < 5, 0.75, 0.5))
    assert MIN_GAIN == 0.10 and not small.worth_changing
    assert 'Not recommended: anchor_sizes=[22.6]' in small.text()
    assert 'lifts 5.0% of the boxes to IoU >= 0.7 and gives 0.0% an anchor' in small.text()
    # Levels are named by their stride, whatever the strides are.
    assert 'RoI level by stride (config canonical scale 112.0): 8 px 100%, 16 px 0%' in small.text()
    assert '| median IoU, stride 8 |' in small.text()
    large = report(config_best, np.where(np.arange(100) < 10, 0.75, 0.5))
    assert large.worth_changing and '\nRecommended: anchor_sizes=[22.6]' in large.text()


def test_boxes_without_any_anchor_count_as_much_as_boxes_lifted():
    config_best = np.where(np.arange(100) < 12, 0.1, 0.5)  # 12 boxes with no anchor
    rescued = report(config_best, np.full(100, 0.5))
    assert rescued.worth_changing
