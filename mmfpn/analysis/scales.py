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
from typing import Dict, List, Tuple

import numpy as np
import torch
from mmdet.registry import MODELS, TASK_UTILS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmfpn.analysis.anchor_search import best_anchor_iou, recommend
from mmfpn.analysis.resize import TrainScale, scale_extremes, train_scales
from mmfpn.analysis.scale_report import ScaleReport
from mmfpn.config.load import ConfigError, ann_path, innermost_dataset
from mmfpn.datasets.checks import usable_annotations
from mmfpn.models.roi_extractors.paper_roi_extractor import canonical_scale_of

#: Canonical scale over the finest anchor size in the paper (224 / 32).
PAPER_SCALE_TO_ANCHOR = 224 / 32
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
