"""Object scales of a training set against a config's pyramid, anchors and Eq. (1).

For every ground-truth box of the config's training set, after the config's
``Resize``: its size ``sqrt(w * h)``, the level Eq. (1) gives it (with the config's
own RoI extractor), and the IoU of its best anchor on each pyramid level (with the
config's own anchor generator, anchors on the stride grid around the box centre).
Then the share of boxes the RPN's assigner cannot match (best IoU below the
positive / negative thresholds), and a recommended set of anchor sizes and
canonical scale.

Recommendation (see ``docs/own_data.md``, :func:`recommend`): the paper's pyramid
keeps one anchor size per level, doubling per level; the analysis scans the finest
level's size ``a`` over quarter octaves, with the config's aspect ratios and, when
the boxes are elongated (median height / width beyond 1.2 either way), with ratios
centred on the boxes' median. It keeps the candidate that matches the most boxes at
the RPN's positive threshold **among those that leave no COCO size group (small,
medium, large) with more boxes below that threshold, or below the negative one, than
the config's anchors do**
(ties within 0.5% go to the config's ratios, then to the more even spread of boxes
over levels). When no
candidate beats the config's own anchors by 0.5% of the boxes, the recommendation
is to keep them. A candidate that changes less than :data:`MIN_GAIN` of the boxes
(lifted to the positive threshold, or out of the no-anchor zone below the negative
one) is shown but not recommended: in training, a change that small did not pay
(``docs/own_data.md``). The canonical scale keeps the paper's ratio to the anchors
(224 / 32 = 7, Sec. 4.1 and Eq. 1): ``canonical_scale = 7 * a``, which sends RoIs of
an anchor's size one level finer than the anchor, as in the paper.

Paper: Sec. 4.1 (anchors: one scale per level, areas 32^2..512^2 on P2..P6),
Sec. 4.2 Eq. (1) (k = floor(k0 + log2(sqrt(wh) / 224)), k0 = 4).
"""
import json
import math
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
from mmdet.registry import MODELS, TASK_UTILS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmfpn.analysis.resize import TrainScale, scale_extremes, train_scales
from mmfpn.config.load import ConfigError, ann_path, innermost_dataset
from mmfpn.datasets.checks import usable_annotations
from mmfpn.models.roi_extractors.paper_roi_extractor import canonical_scale_of

#: Canonical scale over the finest anchor size in the paper (224 / 32).
PAPER_SCALE_TO_ANCHOR = 224 / 32
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


@dataclass
class ScaleReport:
    """What :func:`analyze` found; every array has one entry per box."""
    sizes: np.ndarray                     # (N,) sqrt(w h) after the resize
    roi_levels: np.ndarray                # (N,) Eq. (1) level index (0 = finest)
    roi_strides: List[int]                # stride of each RoI level; [] without RoI head
    best_iou: np.ndarray                  # (N, L) best anchor IoU on each anchor level
    anchor_strides: List[int]
    pos_iou_thr: float
    neg_iou_thr: float
    canonical_scale: Optional[float]
    recommended_sizes: List[float]
    recommended_canonical_scale: float
    coverage_by_size: Dict[float, float]  # finest anchor size -> share matched (config ratios)
    recommended_best_iou: np.ndarray      # (N,) best IoU with the recommended anchors
    config_ratios: List[float] = field(default_factory=list)
    recommended_ratios: List[float] = field(default_factory=list)
    keep_config: bool = False             # no admissible candidate beats the config
    dropped: Dict[str, int] = field(default_factory=dict)
    train_scales: List[str] = field(default_factory=list)  # smallest, largest (or one)

    @property
    def overall_best(self) -> np.ndarray:
        return self.best_iou.max(axis=1)

    @property
    def worth_changing(self) -> bool:
        """Whether the candidate changes enough boxes (:data:`MIN_GAIN`) to switch."""
        return not self.keep_config and max(gains(
            self.overall_best, self.recommended_best_iou, self.pos_iou_thr,
            self.neg_iou_thr)) >= MIN_GAIN

    def size_groups(self):
        """``(name, mask, lo, hi)`` of each COCO size group that has boxes."""
        for name, lo, hi in SIZE_BINS:
            sel = (self.sizes >= lo) & (self.sizes < hi)
            if sel.any():
                yield name, sel, lo, hi

    def text(self) -> str:
        """The report as printed by ``tools/analyze_scales.py``."""
        n = len(self.sizes)
        if len(self.train_scales) > 1:
            scales = ('Training scales: smallest ' + self.train_scales[0] + ', largest '
                      + self.train_scales[-1] + '. Every share below counts each box once at '
                      'each of these two scales.')
        else:
            scales = 'Training scale: ' + (self.train_scales[0] if self.train_scales
                                           else 'none (the pipeline does not resize)') + '.'
        lines = [scales, f'{n} boxes (dropped: {self.dropped or "none"}); sqrt(area) after resize: '
                 f'min {self.sizes.min():.1f}, median {np.median(self.sizes):.1f}, '
                 f'max {self.sizes.max():.1f}', '',
                 ('Eq. (1) RoI level by stride (config canonical scale '
                  f'{self.canonical_scale}): ' + ', '.join(
                      f'{stride} px {np.mean(self.roi_levels == lvl):.0%}'
                      for lvl, stride in enumerate(self.roi_strides))
                  if self.roi_strides else 'Eq. (1): the model has no RoI extractor'), '',
                 f'| object size | boxes | config: < pos {self.pos_iou_thr} | '
                 f'config: < neg {self.neg_iou_thr} | recommended: < pos | recommended: < neg | '
                 + ' | '.join(f'median IoU, stride {s}' for s in self.anchor_strides)
                 + ' |', '|---' * (6 + len(self.anchor_strides)) + '|']
        best, rec = self.overall_best, self.recommended_best_iou
        changes = []
        for name, sel, lo, hi in self.size_groups():
            before, after = np.mean(best[sel] < self.pos_iou_thr), np.mean(rec[sel] < self.pos_iou_thr)
            lines.append(f'| {name} [{lo}, {hi}) | {sel.sum()} | {before:.1%} | '
                         f'{np.mean(best[sel] < self.neg_iou_thr):.1%} | {after:.1%} | '
                         f'{np.mean(rec[sel] < self.neg_iou_thr):.1%} | '
                         + ' | '.join(f'{np.median(self.best_iou[sel, i]):.2f}'
                                      for i in range(self.best_iou.shape[1])) + ' |')
            changes.append(f'{name} {before:.1%} -> {after:.1%}')
        matched = np.mean(best >= self.pos_iou_thr)
        if self.keep_config:
            lines += ['', f'Recommended: keep the config\'s anchors. They match {matched:.1%} of '
                      f'boxes at IoU >= {self.pos_iou_thr}, and no other anchor size or shape '
                      'matches 0.5% more without leaving a size group less covered.']
            return '\n'.join(lines)
        candidate = (f'anchor_sizes={[round(s, 1) for s in self.recommended_sizes]}, '
                     f'ratios={[round(r, 2) for r in self.recommended_ratios]}, '
                     f'canonical_scale={self.recommended_canonical_scale:.0f}')
        lifted, rescued = gains(best, rec, self.pos_iou_thr, self.neg_iou_thr)
        found = (f'match {np.mean(rec >= self.pos_iou_thr):.1%} of boxes at IoU >= '
                 f'{self.pos_iou_thr} (the config\'s {matched:.1%}); boxes below that '
                 f'threshold by size: {", ".join(changes)}; no size group is worse covered.'
                 + ('' if self.recommended_ratios == self.config_ratios else
                    f' The ratios follow the boxes\' shapes (config: '
                    f'{[round(r, 2) for r in self.config_ratios]}).'))
        if self.worth_changing:
            lines += ['', f'Recommended: {candidate}. They {found}']
        else:
            lines += ['', f'Not recommended: {candidate} would {found} That lifts {lifted:.1%} '
                      f'of the boxes to IoU >= {self.pos_iou_thr} and gives {rescued:.1%} an '
                      f'anchor at IoU >= {self.neg_iou_thr} they lack, less than the '
                      f'{MIN_GAIN:.0%} of the boxes a recommendation needs (a smaller '
                      'change did not raise box AP in training: docs/own_data.md). Keep the '
                      'config\'s anchors, or train both with the same seed before switching.']
        return '\n'.join(lines)


def load_boxes(cfg: Config) -> Tuple[np.ndarray, Dict[str, int], List[TrainScale]]:
    """The training set's boxes ``(N, 4)`` as ``x1, y1, x2, y2`` after the resize.

    Reads the COCO file once. Keeps the boxes mmdet trains on
    (:func:`mmfpn.datasets.checks.usable_annotations`). A multi-scale pipeline gives
    each box once at its smallest and once at its largest scale
    (:func:`mmfpn.analysis.resize.scale_extremes`, returned third).

    Raises:
        ConfigError: no training set, a resize whose scale cannot be read, or no
            usable box.
    """
    loader = (cfg.get('train_dataloader') or {}).get('dataset')
    train = innermost_dataset(loader) if loader else None
    ann = ann_path(train) if train else None
    if ann is None or not osp.isfile(ann):
        raise ConfigError(f'the config has no readable training annotation file ({ann!r}); '
                          'set train_dataloader.dataset.data_root and ann_file')
    extremes = scale_extremes(train_scales(loader))
    with open(ann) as f:
        coco = json.load(f)
    kept, dropped_ids = usable_annotations(coco, (train.get('metainfo') or {}).get('classes'))
    images = {im['id']: im for im in coco.get('images', [])}
    boxes = []
    for scale in extremes or [TrainScale(None, False, factor=(1.0, 1.0), source='no resize')]:
        for a in kept:
            x, y, w, h = a['bbox']
            im = images[a['image_id']]
            fx, fy = scale.factors(im['height'], im['width'])
            boxes.append((x * fx, y * fy, (x + w) * fx, (y + h) * fy))
    dropped = {k: len(v) for k, v in dropped_ids.items() if v}
    if not boxes:
        raise ConfigError(f'{ann} has no usable box for the scale analysis (dropped: {dropped}); '
                          'check that metainfo.classes names its categories and that boxes '
                          'are [x, y, width, height] with width, height >= 1')
    return np.asarray(boxes, dtype=np.float64), dropped, extremes


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
    boxes_np, dropped, extremes = load_boxes(cfg)
    boxes = torch.from_numpy(boxes_np)
    sizes = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).sqrt()

    ext_cfg = (model.get('roi_head') or {}).get('bbox_roi_extractor')
    canonical = None
    if ext_cfg is not None:
        extractor = MODELS.build(ext_cfg)
        rois = torch.cat([boxes.new_zeros(len(boxes), 1), boxes], 1).float()
        roi_levels = extractor.map_roi_levels(rois, len(extractor.featmap_strides)).numpy()
        canonical = canonical_scale_of(extractor)
        roi_strides = list(extractor.featmap_strides)
    else:
        roi_levels, roi_strides = np.zeros(len(boxes), dtype=np.int64), []
    best = best_anchor_iou(boxes, base, strides)

    assigner = ((model.get('train_cfg') or {}).get('rpn') or {}).get('assigner') or {}
    pos_thr, neg_thr = assigner.get('pos_iou_thr', 0.7), assigner.get('neg_iou_thr', 0.3)
    neg_thr = neg_thr[1] if isinstance(neg_thr, (tuple, list)) else neg_thr
    finest = math.sqrt(float((base[0][:, 2] - base[0][:, 0]).mul(
        base[0][:, 3] - base[0][:, 1]).mean()))
    centres = [((b[:, :2] + b[:, 2:]) / 2).mean(0) for b in base]
    config_ratios = [float(r) for r in getattr(generator, 'ratios', torch.ones(1))]
    pick = recommend(boxes, best.max(1).values, finest, centres, strides, pos_thr,
                     config_ratios, neg_thr)
    sizes_per_level = [pick.finest * stride / strides[0] for stride in strides]
    return ScaleReport(sizes=sizes.numpy(), roi_levels=roi_levels, roi_strides=roi_strides,
                       best_iou=best.numpy(),
                       anchor_strides=strides, pos_iou_thr=pos_thr, neg_iou_thr=neg_thr,
                       canonical_scale=canonical, recommended_sizes=sizes_per_level,
                       recommended_canonical_scale=(canonical if pick.keep_config and canonical
                                                    else PAPER_SCALE_TO_ANCHOR * sizes_per_level[0]),
                       coverage_by_size=pick.coverage_by_size,
                       recommended_best_iou=pick.best_iou.numpy(), config_ratios=config_ratios,
                       recommended_ratios=pick.ratios, keep_config=pick.keep_config,
                       dropped=dropped, train_scales=[str(s) for s in extremes])


def draw(report: ScaleReport, out_file: str) -> str:
    """Three panels: sizes by Eq. (1) level, best IoU by level, coverage by anchor size."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(15, 4.2))
    ax1, ax2, ax3 = fig.subplots(1, 3)
    bins = np.geomspace(max(report.sizes.min(), 1), report.sizes.max() + 1, 40)
    levels = sorted(set(report.roi_levels.tolist()))
    ax1.hist([report.sizes[report.roi_levels == lvl] for lvl in levels], bins=bins,
             stacked=True, label=[f'Eq. (1) -> stride {report.roi_strides[lvl]}'
                                  if report.roi_strides else 'all boxes' for lvl in levels])
    ax1.set(xscale='log', xlabel='sqrt(area) after resize (px)', ylabel='boxes',
            title='object sizes by RoI level')
    ax1.legend()
    for i, stride in enumerate(report.anchor_strides):
        ax2.scatter(report.sizes, report.best_iou[:, i], s=3, label=f'stride {stride}')
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
