"""Object scales of a training set against a config's pyramid, anchors and Eq. (1).

For every ground-truth box of the config's training set, after the config's
``Resize``: its size ``sqrt(w * h)``, the level Eq. (1) gives it (with the config's
own RoI extractor), and the IoU of its best anchor on each pyramid level (with the
config's own anchor generator, anchors on the stride grid around the box centre).
Then the share of boxes the RPN's assigner cannot match (best IoU below the
positive / negative thresholds), and a recommended set of anchor sizes and
canonical scale.

Recommendation (see ``docs/own_data.md``): the paper's pyramid keeps one anchor
size per level, doubling per level; the analysis scans the finest level's size
``a`` over quarter octaves and keeps the one that matches the most boxes at the
RPN's positive threshold (ties within 0.5% go to the more even spread of boxes
over levels). The canonical scale keeps the paper's ratio to the anchors
(224 / 32 = 7, Sec. 4.1 and Eq. 1): ``canonical_scale = 7 * a``, which sends RoIs of
an anchor's size one level finer than the anchor, as in the paper.

Paper: Sec. 4.1 (anchors: one scale per level, areas 32^2..512^2 on P2..P6),
Sec. 4.2 Eq. (1) (k = floor(k0 + log2(sqrt(wh) / 224)), k0 = 4).
"""
import json
import math
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import mmcv
import numpy as np
import torch
from mmdet.registry import MODELS, TASK_UTILS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmfpn.config.load import ConfigError, ann_path, config_datasets
from mmfpn.datasets.checks import usable_annotations
from mmfpn.models.roi_extractors.paper_roi_extractor import canonical_scale_of

#: Canonical scale over the finest anchor size in the paper (224 / 32).
PAPER_SCALE_TO_ANCHOR = 224 / 32
#: COCO's object-size bins (sqrt of the area, here after the config's resize).
SIZE_BINS = (('small', 0, 32), ('medium', 32, 96), ('large', 96, math.inf))
#: Finest-level anchor sizes scanned by the recommendation: 4..256 px in quarter octaves.
CANDIDATE_SIZES = tuple(2 ** (k / 4) for k in range(8, 33))


@dataclass
class ScaleReport:
    """What :func:`analyze` found; every array has one entry per box."""
    sizes: np.ndarray                     # (N,) sqrt(w h) after the resize
    roi_levels: np.ndarray                # (N,) Eq. (1) level index (0 = finest)
    best_iou: np.ndarray                  # (N, L) best anchor IoU on each anchor level
    anchor_strides: List[int]
    pos_iou_thr: float
    neg_iou_thr: float
    canonical_scale: Optional[float]
    recommended_sizes: List[float]
    recommended_canonical_scale: float
    coverage_by_size: Dict[float, float]  # finest anchor size -> share matched
    recommended_best_iou: np.ndarray      # (N,) best IoU with the recommended anchors
    dropped: Dict[str, int] = field(default_factory=dict)

    @property
    def overall_best(self) -> np.ndarray:
        return self.best_iou.max(axis=1)

    def text(self) -> str:
        """The report as printed by ``tools/analyze_scales.py``."""
        n = len(self.sizes)
        lines = [f'{n} boxes (dropped: {self.dropped or "none"}); sqrt(area) after resize: '
                 f'min {self.sizes.min():.1f}, median {np.median(self.sizes):.1f}, '
                 f'max {self.sizes.max():.1f}', '',
                 'Eq. (1) RoI level (config canonical scale '
                 f'{self.canonical_scale}): ' + ', '.join(
                     f'P{lvl + 2} {np.mean(self.roi_levels == lvl):.0%}'
                     for lvl in range(int(self.roi_levels.max()) + 1)), '',
                 f'| object size | boxes | best IoU < pos {self.pos_iou_thr} | '
                 f'best IoU < neg {self.neg_iou_thr} | '
                 + ' | '.join(f'median IoU P{i + 2}' for i in range(len(self.anchor_strides)))
                 + ' | recommended: < pos |', '|---' * (5 + len(self.anchor_strides)) + '|']
        best = self.overall_best
        for name, lo, hi in SIZE_BINS:
            sel = (self.sizes >= lo) & (self.sizes < hi)
            if not sel.any():
                continue
            lines.append(f'| {name} [{lo}, {hi}) | {sel.sum()} | '
                         f'{np.mean(best[sel] < self.pos_iou_thr):.1%} | '
                         f'{np.mean(best[sel] < self.neg_iou_thr):.1%} | '
                         + ' | '.join(f'{np.median(self.best_iou[sel, i]):.2f}'
                                      for i in range(self.best_iou.shape[1]))
                         + f' | {np.mean(self.recommended_best_iou[sel] < self.pos_iou_thr):.1%} |')
        lines += ['', f'Recommended: anchor_sizes={[round(s, 1) for s in self.recommended_sizes]}, '
                  f'canonical_scale={self.recommended_canonical_scale:.0f} (matches '
                  f'{self.coverage_by_size[self.recommended_sizes[0]]:.1%} of boxes at IoU >= '
                  f'{self.pos_iou_thr}; the config\'s anchors match {np.mean(best >= self.pos_iou_thr):.1%})']
        return '\n'.join(lines)


def resize_factors(height: int, width: int, resize: Optional[dict]) -> Tuple[float, float]:
    """``(fx, fy)`` of mmdet's ``Resize(scale, keep_ratio)`` for one image."""
    if resize is None:
        return 1.0, 1.0
    scale = resize.get('scale')
    if scale is None:
        factor = resize.get('scale_factor', 1.0)
        return (factor, factor) if np.isscalar(factor) else tuple(factor)
    if isinstance(scale, int):
        scale = (scale, scale)
    if resize.get('keep_ratio', False):
        _, factor = mmcv.rescale_size((width, height), tuple(scale), return_scale=True)
        return factor, factor
    return scale[0] / width, scale[1] / height


def _train_resize(pipeline: Sequence[dict]) -> Optional[dict]:
    """The train pipeline's resize; multi-scale resizes use their first scale."""
    for step in pipeline:
        kind = step.get('type', '')
        if kind in ('Resize', 'mmdet.Resize'):
            return step
        if kind in ('RandomChoiceResize', 'RandomResize', 'mmdet.RandomChoiceResize'):
            scales = step.get('scales') or step.get('scale')
            return dict(scale=tuple(scales[0]), keep_ratio=step.get('keep_ratio', True))
    return None


def load_boxes(cfg: Config) -> Tuple[np.ndarray, Dict[str, int]]:
    """The training set's boxes ``(N, 4)`` as ``x1, y1, x2, y2`` after the resize.

    Reads the COCO file once. Keeps the boxes mmdet trains on
    (:func:`mmfpn.datasets.checks.usable_annotations`).

    Raises:
        ConfigError: no training set, or no usable box in it.
    """
    train = next((d for key, d in config_datasets(cfg) if key == 'train_dataloader'), None)
    ann = ann_path(train) if train else None
    if ann is None or not osp.isfile(ann):
        raise ConfigError(f'the config has no readable training annotation file ({ann!r}); '
                          'set train_dataloader.dataset.data_root and ann_file')
    with open(ann) as f:
        coco = json.load(f)
    kept, dropped_ids = usable_annotations(coco, (train.get('metainfo') or {}).get('classes'))
    images = {im['id']: im for im in coco.get('images', [])}
    resize = _train_resize(train.get('pipeline', []))
    boxes = []
    for a in kept:
        x, y, w, h = a['bbox']
        im = images[a['image_id']]
        fx, fy = resize_factors(im['height'], im['width'], resize)
        boxes.append((x * fx, y * fy, (x + w) * fx, (y + h) * fy))
    dropped = {k: len(v) for k, v in dropped_ids.items() if v}
    if not boxes:
        raise ConfigError(f'{ann} has no usable box for the scale analysis (dropped: {dropped}); '
                          'check that metainfo.classes names its categories and that boxes '
                          'are [x, y, width, height] with width, height >= 1')
    return np.asarray(boxes, dtype=np.float64), dropped


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


def _scaled(base_anchors: Sequence[torch.Tensor], factor: float) -> List[torch.Tensor]:
    """Every anchor scaled by ``factor`` about its own centre."""
    out = []
    for base in base_anchors:
        c = (base[:, :2] + base[:, 2:]) / 2
        half = (base[:, 2:] - base[:, :2]) / 2 * factor
        out.append(torch.cat([c - half, c + half], 1))
    return out


def _balance(best_iou: torch.Tensor) -> float:
    """Entropy of the boxes' best-anchor levels (higher = more even)."""
    p = torch.bincount(best_iou.argmax(1), minlength=best_iou.shape[1]).double()
    p = p[p > 0] / p.sum()
    return float(-(p * p.log()).sum())


def analyze(cfg: Config) -> ScaleReport:
    """Run the analysis on the config's training set and model (no weights needed).

    Raises:
        ConfigError: the model has no anchor generator (``model.rpn_head
            .anchor_generator``), or the training set has no usable box.
    """
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = cfg.model
    gen_cfg = (model.get('rpn_head') or {}).get('anchor_generator')
    if gen_cfg is None:
        raise ConfigError(
            f'{model.get("type")} in this config has no anchors (model.rpn_head.anchor_generator):'
            ' the analysis needs the RPN or Faster R-CNN config whose anchors you want to check,'
            ' e.g. configs/tiny/faster-rcnn_r18_paper-fpn_tiny.py')
    generator = TASK_UTILS.build(gen_cfg)
    strides = [s[0] if isinstance(s, (tuple, list)) else s for s in generator.strides]
    base = [b.double() for b in generator.base_anchors]
    boxes_np, dropped = load_boxes(cfg)
    boxes = torch.from_numpy(boxes_np)
    sizes = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).sqrt()

    ext_cfg = (model.get('roi_head') or {}).get('bbox_roi_extractor')
    canonical = None
    if ext_cfg is not None:
        extractor = MODELS.build(ext_cfg)
        rois = torch.cat([boxes.new_zeros(len(boxes), 1), boxes], 1).float()
        roi_levels = extractor.map_roi_levels(rois, len(extractor.featmap_strides)).numpy()
        canonical = canonical_scale_of(extractor)
    else:
        roi_levels = np.zeros(len(boxes), dtype=np.int64)
    best = best_anchor_iou(boxes, base, strides)

    assigner = ((model.get('train_cfg') or {}).get('rpn') or {}).get('assigner') or {}
    pos_thr, neg_thr = assigner.get('pos_iou_thr', 0.7), assigner.get('neg_iou_thr', 0.3)
    neg_thr = neg_thr[1] if isinstance(neg_thr, (tuple, list)) else neg_thr
    finest = math.sqrt(float((base[0][:, 2] - base[0][:, 0]).mul(
        base[0][:, 3] - base[0][:, 1]).mean()))
    coverage, balance, best_of = {}, {}, {}
    for size in CANDIDATE_SIZES:
        iou = best_anchor_iou(boxes, _scaled(base, size / finest), strides)
        best_of[size] = iou.max(1).values
        coverage[size] = float((best_of[size] >= pos_thr).double().mean())
        balance[size] = _balance(iou)
    top = max(coverage.values())
    pick = max((s for s in CANDIDATE_SIZES if coverage[s] >= top - 0.005), key=balance.get)
    sizes_per_level = [pick * stride / strides[0] for stride in strides]
    return ScaleReport(sizes=sizes.numpy(), roi_levels=roi_levels, best_iou=best.numpy(),
                       anchor_strides=strides, pos_iou_thr=pos_thr, neg_iou_thr=neg_thr,
                       canonical_scale=canonical, recommended_sizes=sizes_per_level,
                       recommended_canonical_scale=PAPER_SCALE_TO_ANCHOR * sizes_per_level[0],
                       coverage_by_size=coverage, recommended_best_iou=best_of[pick].numpy(),
                       dropped=dropped)


def draw(report: ScaleReport, out_file: str) -> str:
    """Three panels: sizes by Eq. (1) level, best IoU by level, coverage by anchor size."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(15, 4.2))
    ax1, ax2, ax3 = fig.subplots(1, 3)
    bins = np.geomspace(max(report.sizes.min(), 1), report.sizes.max() + 1, 40)
    levels = sorted(set(report.roi_levels.tolist()))
    ax1.hist([report.sizes[report.roi_levels == lvl] for lvl in levels], bins=bins,
             stacked=True, label=[f'Eq. (1) -> P{lvl + 2}' for lvl in levels])
    ax1.set(xscale='log', xlabel='sqrt(area) after resize (px)', ylabel='boxes',
            title='object sizes by RoI level')
    ax1.legend()
    for i, stride in enumerate(report.anchor_strides):
        ax2.scatter(report.sizes, report.best_iou[:, i], s=3, label=f'P{i + 2} (stride {stride})')
    ax2.axhline(report.pos_iou_thr, color='k', ls='--', lw=1)
    ax2.axhline(report.neg_iou_thr, color='k', ls=':', lw=1)
    ax2.set(xscale='log', xlabel='sqrt(area) after resize (px)', ylabel='best anchor IoU',
            title='best anchor IoU per level (--: pos, ..: neg thr)')
    ax2.legend(markerscale=4, fontsize=7)
    xs = sorted(report.coverage_by_size)
    ax3.plot(xs, [report.coverage_by_size[x] for x in xs], marker='.')
    ax3.axvline(report.recommended_sizes[0], color='k', ls='--', lw=1)
    ax3.set(xscale='log', xlabel='finest-level anchor size (px)',
            ylabel=f'share of boxes with IoU >= {report.pos_iou_thr}',
            title='anchor coverage (dashed: recommended)')
    fig.tight_layout()
    fig.savefig(out_file, dpi=110)
    return out_file
