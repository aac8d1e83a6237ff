"""Which objects a mask-proposal model misses: recall per object, grouped by the MLP
(and level) that Sec. 6's assignment gives each object.

The Table 6 metric (:class:`~mmfpn.evaluation.SegmProposalMetric`) gives one recall
per size group; a dual-MLP model hands each object to one of its MLPs, so a row's
recall can hide one MLP's misses behind the other's hits. Here each object's recall is
its best mask IoU among the image's ``max_dets`` best-scored proposals, averaged over
COCO's IoU thresholds; unlike COCOeval, proposals are not matched one to one, so with
many proposals per object the numbers are COCOeval's AR or slightly above it.
"""
import contextlib
import io
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pycocotools.mask as mask_util
import torch
from mmdet.registry import MODELS
from mmengine.fileio import get_local_path, load
from mmengine.registry import init_default_scope
from pycocotools.coco import COCO

from mmfpn.config.load import ConfigError, load_config

#: COCO's AR thresholds: IoU 0.5 to 0.95 in steps of 0.05.
COCO_IOUS = np.linspace(0.5, 0.95, 10)


@dataclass
class GroupRecall:
    """Recall of the objects of one group (``'all'``, an MLP, or an MLP on a level)."""
    group: str
    objects: int
    recall: float


def average_recall(ious: Sequence[float]) -> float:
    """Mean over :data:`COCO_IOUS` of the share of objects whose best IoU reaches it."""
    ious = np.asarray(ious, dtype=np.float64)
    if ious.size == 0:
        return float('nan')
    return float((ious[:, None] >= COCO_IOUS[None] - 1e-12).mean())


def best_mask_ious(coco_gt: COCO, predictions: Sequence[dict],
                   max_dets: int) -> Dict[int, float]:
    """Per non-crowd annotation of the predicted images, the best mask IoU among its
    image's ``max_dets`` best-scored proposals (0 where there is none).

    Args:
        coco_gt: The annotations, with ``segmentation`` for every object.
        predictions: ``tools/test.py --out`` records: ``img_id`` and
            ``pred_instances`` with ``masks`` (COCO RLE) and ``scores``.
    """
    ious: Dict[int, float] = {}
    for pred in predictions:
        anns = [a for a in coco_gt.imgToAnns[pred['img_id']] if not a.get('iscrowd', 0)]
        if not anns:
            continue
        scores = np.asarray(torch.as_tensor(pred['pred_instances']['scores']).float())
        order = np.argsort(-scores, kind='stable')[:max_dets]
        masks = [pred['pred_instances']['masks'][i] for i in order]
        if masks:
            gt = [coco_gt.annToRLE(a) for a in anns]
            best = mask_util.iou(masks, gt, [0] * len(gt)).max(0)
        else:
            best = np.zeros(len(anns))
        ious.update({a['id']: float(b) for a, b in zip(anns, best)})
    return ious


def recall_by_mlp(config: str, predictions: str, max_dets: int = 1000,
                  by_level: bool = False, groups_of: Optional[str] = None) -> List[GroupRecall]:
    """Recall of a segment-proposal model's ``tools/test.py --out`` predictions, over
    all objects and per MLP (``'5x5'``, ``'7x7'``; with ``by_level`` per MLP and
    stride) by the head's assignment (:meth:`FPNSegmentProposalHead.nearest_pairs`)
    of each object's box scaled as the network saw it. Objects with no pair (an
    octave or more below the head's finest canonical size: never positive in
    training) form the group ``'no pair'``.

    Args:
        config: The model's config (its ``test_evaluator.ann_file`` is the truth).
        predictions: The ``.pkl`` of ``tools/test.py config checkpoint --out``.
        groups_of: Group by this config's head instead: two models compared on the
            same objects (a single-MLP model on the groups of a dual one).
    """
    cfg = load_config(config)
    head = _segment_proposal_head(groups_of or config)
    records = load(predictions)
    if not records or 'masks' not in records[0].get('pred_instances', {}):
        raise ConfigError(f'{predictions} holds no mask predictions: write them with '
                          f'tools/test.py {config} CHECKPOINT --out {predictions}')
    with get_local_path(cfg.test_evaluator.ann_file) as local, \
            contextlib.redirect_stdout(io.StringIO()):  # pycocotools' progress lines
        coco_gt = COCO(local)
    ious = best_mask_ious(coco_gt, records, max_dets)
    ids = list(ious)
    factors = {r['img_id']: r.get('scale_factor', (1.0, 1.0)) for r in records}
    boxes = torch.tensor([coco_gt.anns[i]['bbox'] for i in ids], dtype=torch.float32).view(-1, 4)
    scale = torch.tensor([factors[coco_gt.anns[i]['image_id']] for i in ids],
                         dtype=torch.float32).view(-1, 2).repeat(1, 2)
    pairs, valid = head.nearest_pairs(
        torch.cat([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], 1) * scale)
    groups: Dict[Tuple[float, int], List[float]] = defaultdict(list)
    for i, p, ok in zip(ids, pairs.tolist(), valid.tolist()):
        mlp, stride = head.pairs[p].mlp, head.pairs[p].stride
        key = (head.windows[mlp], stride if by_level else 0) if ok else (math.inf, 0)
        groups[key].append(ious[i])
    rows = [GroupRecall('all', len(ious), average_recall(list(ious.values())))]
    for (window, stride), group in sorted(groups.items()):
        name = 'no pair' if window == math.inf else \
            f'{window}x{window}' + (f', stride {stride}' if stride else '')
        rows.append(GroupRecall(name, len(group), average_recall(group)))
    return rows


def _segment_proposal_head(config: str) -> torch.nn.Module:
    head_cfg = load_config(config).model.get('bbox_head', {})
    if head_cfg.get('type') != 'FPNSegmentProposalHead':
        raise ConfigError(f'{config}: recall per MLP needs a model whose bbox_head is '
                          f"FPNSegmentProposalHead, not {head_cfg.get('type')!r}")
    init_default_scope('mmdet')
    return MODELS.build(head_cfg)


def recall_table(rows: Sequence[GroupRecall]) -> str:
    """Markdown table of :func:`recall_by_mlp`'s rows (recall in percent)."""
    lines = ['| objects assigned to | objects | AR (percent) |', '|---|---|---|']
    lines += [f'| {r.group} | {r.objects} | {100 * r.recall:.1f} |' for r in rows]
    return '\n'.join(lines)
