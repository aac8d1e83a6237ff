"""Merging the detections of overlapping windows into one set per image.

Two methods (measured against each other in ``docs/large_images.md``: ``'join'``
scored higher on both tree-crown FPN seeds and on the tiny mosaics, equal on C5, and is
the default of sliced inference):

* ``'nms'``: class-wise NMS over all windows' boxes (mmcv's ``batched_nms``), the
  detector's own rule applied once more across windows.
* ``'join'``: first, each box cut by an inner window edge meets the boxes of the same
  class in the overlapping windows that continue it across that edge (they cross the
  edge, reach past it, and span the same extent along it: 1-D IoU >= ``join_thr``).
  If one of them is not cut, the object is whole there: the cut box goes (it cannot
  outscore the whole view, as it can under NMS). If all are cut, the object is larger
  than the overlap and each window saw a part: the parts are joined into their union.
  Then class-wise NMS.

A box is *cut* when one of its sides lies within :data:`EDGE_TOL` px of a window edge
that is not the image's edge (the detector clips its boxes to the window it sees).
"""
from typing import List, NamedTuple, Sequence

import torch
from mmcv.ops import batched_nms
from torch import Tensor

from mmfpn.models.task_modules.windows import Window

#: How close (image px) a box side must come to a window's inner edge to count as cut.
EDGE_TOL = 1.0
MERGE_METHODS = ('nms', 'join')


class Detections(NamedTuple):
    """Detections of several windows, in image coordinates.

    ``bboxes (N, 4)`` x1y1x2y2, ``scores (N,)``, ``labels (N,)`` long, ``window (N,)``
    long: the index of the window that gave each box (-1: the whole image).
    """
    bboxes: Tensor
    scores: Tensor
    labels: Tensor
    window: Tensor


def cut_sides(bboxes: Tensor, windows, width: int, height: int) -> Tensor:
    """``(N, 4)`` bool: which sides (x1, y1, x2, y2) of ``bboxes (N, 4)`` (image
    coordinates) lie on an edge of the window they were detected in that is inside
    the image; ``windows``: that window, ``(4,)`` for all or ``(N, 4)`` one per box."""
    w = torch.as_tensor(windows, dtype=bboxes.dtype)
    x0, y0, x1, y1 = w[..., 0], w[..., 1], w[..., 2], w[..., 3]
    return torch.stack([(bboxes[:, 0] <= x0 + EDGE_TOL) & (x0 > 0),
                        (bboxes[:, 1] <= y0 + EDGE_TOL) & (y0 > 0),
                        (bboxes[:, 2] >= x1 - EDGE_TOL) & (x1 < width),
                        (bboxes[:, 3] >= y1 - EDGE_TOL) & (y1 < height)], dim=1)


def overlapping_windows(windows: Sequence[Window]) -> List[Tensor]:
    """For each window, the indices of the windows whose area meets its own (itself
    included)."""
    w = torch.tensor(windows, dtype=torch.float32).reshape(-1, 4)
    meets = ((w[:, None, 0] < w[None, :, 2]) & (w[None, :, 0] < w[:, None, 2])
             & (w[:, None, 1] < w[None, :, 3]) & (w[None, :, 1] < w[:, None, 3]))
    return [row.nonzero().squeeze(1) for row in meets]


def _interval_iou(lo: Tensor, hi: Tensor, los: Tensor, his: Tensor) -> Tensor:
    inter = (torch.minimum(hi, his) - torch.maximum(lo, los)).clamp(min=0)
    return inter / (hi - lo + his - los - inter).clamp(min=1e-6)


def other_parts(box: Tensor, side: int, edge: float, others: Tensor, join_thr: float) -> Tensor:
    """``(M,)`` bool: which of ``others (M, 4)`` continue ``box`` across the window
    edge ``edge`` on its ``side`` (0..3: x1, y1, x2, y2): they cross the edge, reach
    past it, and span the same extent along it (1-D IoU >= ``join_thr``)."""
    axis = side % 2                # 0: a vertical edge (x), 1: a horizontal one (y)
    lo, hi = others[:, axis], others[:, axis + 2]
    beyond = hi > edge + EDGE_TOL if side >= 2 else lo < edge - EDGE_TOL
    crosses = (lo < edge) & (hi > edge)
    along = 1 - axis
    same_extent = _interval_iou(box[along], box[along + 2], others[:, along],
                                others[:, along + 2]) >= join_thr
    return beyond & crosses & same_extent


def join_cut_boxes(dets: Detections, windows: Sequence[Window], width: int, height: int,
                   join_thr: float) -> Detections:
    """Resolve each box cut by an inner window edge against the same-class boxes of the
    overlapping windows (and the whole image) that continue it across that edge
    (:func:`other_parts`): when one of them is not cut (the object is whole there),
    the cut box goes and the best whole one keeps the higher score; when all are cut
    (the object is larger than the overlap), they are joined into their union with
    the highest score. Cut boxes are visited by decreasing score."""
    n = dets.bboxes.shape[0]
    edges = torch.as_tensor(windows, dtype=dets.bboxes.dtype).reshape(-1, 4)[
        dets.window.clamp(min=0)]                       # (N, 4): each box's window
    sides = cut_sides(dets.bboxes, edges, width, height) & (dets.window >= 0)[:, None]
    if not sides.any():
        return dets
    neighbours = overlapping_windows(windows)
    # Box indices grouped by window, the whole image's (-1) first: one sort, no scan
    # of every box per window.
    counts = torch.bincount(dets.window + 1, minlength=len(windows) + 1)
    whole, *by_window = torch.split(torch.argsort(dets.window, stable=True), counts.tolist())
    bboxes, scores = dets.bboxes.clone(), dets.scores.clone()
    alive = torch.ones(n, dtype=torch.bool)
    cut = sides.any(1).nonzero().squeeze(1).tolist()
    for i in sorted(cut, key=lambda j: -float(scores[j])):
        if not alive[i]:
            continue
        near = torch.cat([whole, *(by_window[k] for k in neighbours[int(dets.window[i])])])
        near = near[alive[near] & (dets.labels[near] == dets.labels[i]) & (near != i)]
        parts = torch.zeros(near.numel(), dtype=torch.bool)
        for side in sides[i].nonzero().squeeze(1).tolist():
            parts |= other_parts(dets.bboxes[i], side, float(edges[i, side]), bboxes[near],
                                 join_thr)
        whole_parts = near[parts & ~sides[near].any(1)]
        if whole_parts.numel():   # seen whole elsewhere: the cut view goes
            best = whole_parts[scores[whole_parts].argmax()]
            scores[best] = torch.maximum(scores[best], scores[i])
            alive[i] = False
        elif parts.any():         # seen in parts only: their union
            joined = near[parts]
            group = torch.cat([bboxes[i:i + 1], bboxes[joined]])
            bboxes[i] = torch.cat([group[:, :2].min(0).values, group[:, 2:].max(0).values])
            scores[i] = torch.maximum(scores[i], scores[joined].max())
            alive[joined] = False
    return Detections(bboxes[alive], scores[alive], dets.labels[alive], dets.window[alive])


def merge_windows(dets: Detections, windows: Sequence[Window], width: int, height: int,
                  method: str = 'nms', iou_thr: float = 0.5,
                  join_thr: float = 0.5) -> Detections:
    """The detections of all windows of one image as one set, best score first
    (see the module docstring for ``method``).

    Args:
        dets: Every window's boxes in image coordinates.
        windows: The windows ``(x0, y0, x1, y1)``, indexed by ``dets.window``.
        width, height: The image's size.
        method: ``'nms'`` or ``'join'``.
        iou_thr: The class-wise NMS threshold.
        join_thr: With ``'join'``: the 1-D IoU along a cut edge that joins two parts.
    """
    if method not in MERGE_METHODS:
        raise ValueError(f'merge method must be one of {MERGE_METHODS}, got {method!r}')
    if method == 'join':
        dets = join_cut_boxes(dets, windows, width, height, join_thr)
    if dets.bboxes.shape[0] == 0:
        return dets
    _, keep = batched_nms(dets.bboxes, dets.scores, dets.labels,
                          dict(type='nms', iou_threshold=iou_thr))
    return Detections(*(t[keep] for t in dets))
