"""The anchor search of the scale analysis: each box's best anchor IoU per level, and
the paper-style anchors (one size per level, doubling) that match the most boxes
without leaving a COCO size group worse covered (:func:`recommend`; the rule is
described in :mod:`mmfpn.analysis.scales`)."""
import math
from typing import Dict, List, NamedTuple, Sequence, Tuple

import numpy as np
import torch

#: COCO's object-size bins (sqrt of the area, here after the config's resize).
SIZE_BINS = (('small', 0, 32), ('medium', 32, 96), ('large', 96, math.inf))
#: Finest-level anchor sizes scanned by the recommendation: 4..256 px in quarter octaves.
CANDIDATE_SIZES = tuple(2 ** (k / 4) for k in range(8, 33))
#: Share of the boxes a candidate must change (see :func:`gains`) to be recommended:
#: in training on the tree crowns a smaller change stayed inside the seeds' spread,
#: a larger one raised box AP (the runs: docs/own_data.md).
MIN_GAIN = 0.10


def gains(config_best: np.ndarray, new_best: np.ndarray, pos_thr: float,
          neg_thr: float) -> Tuple[float, float]:
    """Shares of all boxes that ``new_best`` (each box's best anchor IoU under a
    candidate) lifts to ``pos_thr``, and out of the zone below ``neg_thr`` where a box
    has no positive anchor at all, net of the boxes it loses, against ``config_best``."""
    lifted = float(np.mean(new_best >= pos_thr) - np.mean(config_best >= pos_thr))
    rescued = float(np.mean(config_best < neg_thr) - np.mean(new_best < neg_thr))
    return lifted, rescued


def best_anchor_iou(boxes: torch.Tensor, base_anchors: Sequence[torch.Tensor],
                    strides: Sequence[int]) -> torch.Tensor:
    """Best IoU of each box with the anchors of each level.

    Args:
        boxes: ``(N, 4)`` x1, y1, x2, y2.
        base_anchors: Per level ``(A, 4)``, the anchors of the cell at the origin.
        strides: Per level, the grid step.

    Returns:
        ``(N, L)``. Anchors are placed on the 3x3 grid points around the box
        centre's nearest one: any farther anchor overlaps the box less.
    """
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    offsets = torch.tensor([(dx, dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1)],
                           dtype=boxes.dtype)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    out = []
    for base, stride in zip(base_anchors, strides):
        grid = (torch.round(centre / stride)[:, None] + offsets) * stride          # (N, 9, 2)
        anchors = base.to(boxes.dtype)[None, None] + grid.repeat(1, 1, 2)[:, :, None]  # (N,9,A,4)
        lt = torch.maximum(anchors[..., :2], boxes[:, None, None, :2])
        rb = torch.minimum(anchors[..., 2:], boxes[:, None, None, 2:])
        inter = (rb - lt).clamp(min=0).prod(-1)
        a_area = (anchors[..., 2] - anchors[..., 0]) * (anchors[..., 3] - anchors[..., 1])
        iou = inter / (area[:, None, None] + a_area - inter)
        out.append(iou.flatten(1).max(1).values)
    return torch.stack(out, 1)


def candidate_anchors(centres: Sequence[torch.Tensor], finest: float, strides: Sequence[int],
                      ratios: Sequence[float]) -> List[torch.Tensor]:
    """The paper's anchors for one candidate: per level one size, ``finest`` on the
    finest level and doubling with the stride, each in ``ratios`` (height / width),
    centred where the config's anchors of that level are.

    Returns:
        Per level ``(len(ratios), 4)`` base anchors.
    """
    r = torch.tensor(list(ratios), dtype=torch.float64)
    out = []
    for centre, stride in zip(centres, strides):
        size = finest * stride / strides[0]
        half = torch.stack([size / r.sqrt(), size * r.sqrt()], 1) / 2
        out.append(torch.cat([centre - half, centre + half], 1))
    return out


class Recommendation(NamedTuple):
    """What :func:`recommend` chose."""
    finest: float                 # anchor size on the finest level
    ratios: List[float]
    best_iou: torch.Tensor        # (N,) each box's best IoU with these anchors
    keep_config: bool             # nothing admissible beats the config's anchors
    coverage_by_size: Dict[float, float]


def recommend(boxes: torch.Tensor, config_best: torch.Tensor, config_finest: float,
              centres: Sequence[torch.Tensor], strides: Sequence[int], pos_thr: float,
              config_ratios: Sequence[float], neg_thr: float = 0.3,
              margin: float = 0.005) -> Recommendation:
    """Anchor sizes (and ratios) that match the most boxes at ``pos_thr`` while leaving
    no COCO size group with more boxes below ``pos_thr``, or below ``neg_thr`` (no
    anchor at all, not even the assigner's low-quality match), than the config's.

    Args:
        boxes: ``(N, 4)`` x1, y1, x2, y2 after the resize.
        config_best: ``(N,)`` each box's best IoU with the config's anchors.
        config_finest: The config's finest anchor size (kept when nothing beats it).
        centres: Per level ``(2,)``, the centre of the config's base anchors.
        strides: Per level, the grid step.
        pos_thr: The RPN assigner's positive IoU threshold.
        neg_thr: Its negative threshold (``min_pos_iou`` of mmdet's low-quality match).
        config_ratios: The config's aspect ratios (height / width).
        margin: Share of boxes a candidate must match beyond the config to be
            recommended; candidates within it of the best are ranked by balance.
    """
    sizes = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).sqrt()
    groups = [g for g in ((sizes >= lo) & (sizes < hi) for _, lo, hi in SIZE_BINS) if g.any()]
    thresholds = (pos_thr, neg_thr)
    limits = [[float((config_best[g] < t).double().mean()) for t in thresholds] for g in groups]
    ratio_sets = [[float(r) for r in config_ratios]]
    shape = float(((boxes[:, 3] - boxes[:, 1]) / (boxes[:, 2] - boxes[:, 0])).median())
    if abs(math.log(shape)) > math.log(1.2):  # elongated boxes: ratios around their shape
        ratio_sets.append([round(shape * f, 2) for f in (0.5, 1.0, 2.0)])
    coverage, admissible = {}, []
    for ratios in ratio_sets:
        for size in CANDIDATE_SIZES:
            iou = best_anchor_iou(boxes, candidate_anchors(centres, size, strides, ratios), strides)
            best = iou.max(1).values
            matched = float((best >= pos_thr).double().mean())
            if ratios is ratio_sets[0]:
                coverage[size] = matched
            if all(float((best[g] < t).double().mean()) <= limit + 1e-9
                   for g, group_limits in zip(groups, limits)
                   for t, limit in zip(thresholds, group_limits)):
                admissible.append((matched, _balance(iou), size, ratios, best))
    config_matched = float((config_best >= pos_thr).double().mean())
    top = max((a[0] for a in admissible), default=0.0)
    if top < config_matched + margin:
        return Recommendation(config_finest, ratio_sets[0], config_best, True, coverage)
    # Within the margin: the config's ratios first (change only what the boxes need),
    # then the more even spread over levels.
    _, _, size, ratios, best = max((a for a in admissible if a[0] >= top - margin),
                                   key=lambda a: (a[3] is ratio_sets[0], a[1]))
    return Recommendation(size, ratios, best, False, coverage)


def _balance(best_iou: torch.Tensor) -> float:
    """Entropy of the boxes' best-anchor levels (higher = more even)."""
    p = torch.bincount(best_iou.argmax(1), minlength=best_iou.shape[1]).double()
    p = p[p > 0] / p.sum()
    return float(-(p * p.log()).sum())
