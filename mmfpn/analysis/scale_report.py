"""The scale analysis's report: the text ``tools/analyze_scales.py`` prints and its
picture."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

from mmfpn.analysis.anchor_search import MIN_GAIN, SIZE_BINS, gains


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
