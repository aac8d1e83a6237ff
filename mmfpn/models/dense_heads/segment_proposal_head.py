"""Segment proposals from the pyramid: small MLPs slid over every level.

Paper: Sec. 6 ("Extensions: Segmentation Proposals") and its appendix. The pyramid
is built as for detection (d = 128); on every level an MLP looks at each w x w window
(fully convolutionally) and predicts an object score and an ``M x M`` mask of the
window's image region. A 5 x 5 MLP and a 7 x 7 MLP (7 ~ 5 * sqrt(2)) cover the
octaves and the half octaves between them: they play the role of the RPN's anchors.

Choices where the paper is silent (each an argument of :class:`FPNSegmentProposalHead`):

* **Canonical object size** of a (level, window) pair: ``OBJECT_RATIO * w * stride``,
  DeepMask's 128 px object in its 224 px input. For 5 x 5 on P2..P6 that is 11.4,
  22.9, 45.7, 91 and 183 px; the 7 x 7 MLP sits half an octave above each (16..256 px).
* **Assignment.** An object goes to the pair whose canonical size is nearest its
  scale ``sqrt(w * h)`` in log scale (so every object within the covered range has
  one pair), and those above the coarsest go to it. Objects an octave or more below
  the finest canonical size have no pair: their locations stay negatives, as
  DeepMask labels a window negative when its object is out of scale by an octave
  (``2^{+-1}``) or more (its training setting, which Sec. 6 follows).
  ``positive_octaves`` narrows this for a single-scale model (the image-pyramid
  baseline): only objects within that many octaves of their pair's canonical size
  are positive (DeepMask's scale jitter, 2^(+-1/4)); the others are left to the
  ignore rule below, or are negatives beyond one octave.
  On its pair, the locations whose centre lies within ``center_tolerance`` strides
  of the object's box centre (L-inf; DeepMask's +-16 px at stride 16 is 1) are
  positive; a location claimed by two objects takes the nearer centre.
* **Ignored locations** (DeepMask leaves the same gap between its positives and
  negatives): locations of pairs within one octave of the object's scale whose
  centre lies within ``2 * center_tolerance`` strides, unless positive.
* **Losses.** Per image ``num_samples`` locations are sampled over all pairs, at
  most ``pos_fraction`` of them positive (as the RPN's sampler); binary
  cross-entropy on the score of each sampled location and, on each sampled
  positive, per-pixel binary cross-entropy on its mask against the object's mask
  cropped to the window's region and resized to ``M x M`` (mmcv's RoIAlign,
  binarised). DeepMask weighs the score loss by 1/32; both weights here are 1.
* **Inference.** The ``nms_pre`` best-scored locations of each pair, then the
  ``max_per_img`` best overall; each mask is pasted into its window's region and
  thresholded at ``mask_thr``; no NMS (``nms`` in ``test_cfg`` adds a box NMS on
  the windows). Masks are returned as COCO RLE: a thousand full-size bitmaps per
  image would not fit in memory at COCO sizes.
"""
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import pycocotools.mask as mask_util
import torch
import torch.nn.functional as F
from mmcv.ops import batched_nms
from mmdet.models.roi_heads.mask_heads.fcn_mask_head import _do_paste_mask
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmengine.config import ConfigDict
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

#: DeepMask's object (128 px) inside its input window (224 px): the canonical object
#: size of a w x w window on a level of stride s is ``OBJECT_RATIO * w * s``.
OBJECT_RATIO = 128 / 224
#: Sec. 6: "a 5x5 MLP ... a second MLP of input window 7x7 (7 ~ 5 sqrt(2))".
WINDOWS = (5, 7)
#: Sec. 6: "predicting 14x14 masks"; 28 is the "2x mask resolution" row of Table 6.
MASK_SIZE = 14
#: DeepMask: a window whose object is this many octaves or more out of scale is a
#: negative; objects that far below the finest canonical size are never positive.
OUT_OF_SCALE_OCTAVES = 1.0

DEFAULT_TEST_CFG = dict(nms_pre=1000, max_per_img=1000, mask_thr=0.5, nms=None)


class Pair(NamedTuple):
    """One MLP on one pyramid level: the head's equivalent of an anchor."""
    level: int              # index of the input map
    mlp: int                # index into ``windows``
    stride: int             # of the level, px
    extent: float           # window side in the image, ``window * stride`` px
    canonical_size: float   # ``object_ratio * extent`` px


class WindowMLP(nn.Module):
    """One MLP over every w x w window of a map, as convolutions.

    ``(B, d, H, W)`` -> scores ``(B, H, W)`` and mask logits ``(B, M * M, H, W)``:
    a w x w convolution (the window's fully connected layer), ReLU, and a 1 x 1
    convolution to ``M * M + 1`` outputs.
    """

    def __init__(self, in_channels: int, window: int, hidden_channels: int, mask_size: int):
        super().__init__()
        self.window = window
        self.fc = nn.Conv2d(in_channels, hidden_channels, window, padding=window // 2)
        self.out = nn.Conv2d(hidden_channels, mask_size * mask_size + 1, 1)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        y = self.out(F.relu(self.fc(x)))
        return y[:, 0], y[:, 1:]


@MODELS.register_module()
class FPNSegmentProposalHead(BaseModule):
    """Class-agnostic mask proposals from a feature pyramid (Sec. 6).

    Used as the ``bbox_head`` of mmdet's ``SingleStageDetector``: it provides the
    ``loss`` and ``predict`` that detector calls.

    Args:
        in_channels: The pyramid's ``d`` (128 in Sec. 6).
        strides: Stride of each input level (P2..P6: 4, 8, 16, 32, 64).
        windows: Window side of each MLP: ``(5, 7)`` dual, ``(5,)`` or ``(7,)`` single.
        hidden_channels: Width of the MLPs' hidden layer (DeepMask: 512).
        mask_size: Side ``M`` of the predicted masks (14; 28 for 2x resolution).
        object_ratio: Canonical object size over window extent.
        center_tolerance: Positive within this many strides of the object's centre.
        positive_octaves: Positive only within this many octaves of the pair's
            canonical size; ``None``: every object has a pair (the pyramid's case).
        num_samples: Locations sampled per image for the losses.
        pos_fraction: Largest share of positives among them.
        loss_mask_weight, loss_score_weight: Weights of the two losses.
        train_cfg: Must be ``None`` (mmdet's detector passes its ``train_cfg`` to the
            head): the sampler is set by ``num_samples`` and ``pos_fraction``, the
            positives by ``center_tolerance`` and ``positive_octaves``.
        test_cfg: ``nms_pre``, ``max_per_img``, ``mask_thr``, ``nms`` (``None`` or
            ``dict(iou_threshold=...)``).
    """

    def __init__(self,
                 in_channels: int,
                 strides: Sequence[int] = (4, 8, 16, 32, 64),
                 windows: Sequence[int] = WINDOWS,
                 hidden_channels: int = 512,
                 mask_size: int = MASK_SIZE,
                 object_ratio: float = OBJECT_RATIO,
                 center_tolerance: float = 1.0,
                 positive_octaves: Optional[float] = None,
                 num_samples: int = 256,
                 pos_fraction: float = 0.5,
                 loss_mask_weight: float = 1.0,
                 loss_score_weight: float = 1.0,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if not windows or any(w < 1 or w % 2 == 0 for w in windows):
            raise ValueError(f'windows={tuple(windows)!r}: give odd window sides such as '
                             '(5,), (7,) or (5, 7)')
        if train_cfg is not None:
            raise ValueError(f'FPNSegmentProposalHead takes no train_cfg (got {train_cfg!r}): '
                             'set num_samples, pos_fraction, center_tolerance or '
                             'positive_octaves on the head (model.bbox_head) instead')
        self.strides = tuple(strides)
        self.windows = tuple(windows)
        self.mask_size = mask_size
        self.center_tolerance = center_tolerance
        self.positive_octaves = positive_octaves
        self.num_samples = num_samples
        self.pos_fraction = pos_fraction
        self.loss_mask_weight = loss_mask_weight
        self.loss_score_weight = loss_score_weight
        self.test_cfg = ConfigDict(dict(DEFAULT_TEST_CFG, **(test_cfg or {})))
        self.mlps = nn.ModuleList(WindowMLP(in_channels, w, hidden_channels, mask_size)
                                  for w in self.windows)
        #: Every (level, MLP) pair, level-major.
        self.pairs = [Pair(lvl, m, s, w * s, object_ratio * w * s)
                      for lvl, s in enumerate(self.strides) for m, w in enumerate(self.windows)]

    def canonical_sizes(self) -> List[float]:
        """Canonical object size (px) of each (level, window) pair, in pair order."""
        return [p.canonical_size for p in self.pairs]

    def forward(self, x: Sequence[Tensor]) -> Tuple[List[Tensor], List[Tensor]]:
        """Scores ``(B, H_l, W_l)`` and mask logits ``(B, M * M, H_l, W_l)`` per pair."""
        if len(x) != len(self.strides):
            raise ValueError(f'{len(x)} feature maps for {len(self.strides)} strides '
                             f'{self.strides}: give one stride per pyramid level')
        scores, masks = [], []
        for pair in self.pairs:
            s, k = self.mlps[pair.mlp](x[pair.level])
            scores.append(s)
            masks.append(k)
        return scores, masks

    # ----------------------------------------------------------------- targets
    def _octaves(self, bboxes: Tensor) -> Tuple[Tensor, Tensor]:
        """For boxes ``(G, 4)``: log2 of each box's scale ``sqrt(w * h)`` over each
        pair's canonical size ``(G, P)``, and whether the box is trained at all
        ``(G,)`` (not :data:`OUT_OF_SCALE_OCTAVES` or more below the finest canonical
        size; those leave their locations negative)."""
        canon = bboxes.new_tensor(self.canonical_sizes())
        scale = (bboxes[:, 2:] - bboxes[:, :2]).clamp(min=1e-6).prod(1).sqrt()
        trained = scale >= canon.min() * 2**-OUT_OF_SCALE_OCTAVES
        return (scale[:, None] / canon[None]).log2(), trained

    def nearest_pairs(self, bboxes: Tensor) -> Tuple[Tensor, Tensor]:
        """The pair (index into :attr:`pairs`) each box ``(G, 4)`` is assigned to,
        ``(G,)``, and whether it is trained at all, ``(G,)`` bool."""
        octaves, valid = self._octaves(bboxes)
        return octaves.abs().argmin(1), valid

    def assign(self, bboxes: Tensor, sizes: Sequence[Tuple[int, int]]) -> List[Tensor]:
        """Per pair, the target of each location of one image: the index of its
        object (positive), ``-1`` (negative) or ``-2`` (ignored).

        Args:
            bboxes: ``(G, 4)`` ground-truth boxes ``(x1, y1, x2, y2)``.
            sizes: ``(H_p, W_p)`` of each pair's map.

        Returns:
            Per pair, ``(H_p * W_p,)`` int64, row-major.
        """
        device = bboxes.device
        octaves, valid = self._octaves(bboxes)  # (G, P), (G,)
        nearest_octaves, best = octaves.abs().min(1)
        centre = (bboxes[:, :2] + bboxes[:, 2:]) / 2
        positive = valid.clone()
        if self.positive_octaves is not None:
            positive &= nearest_octaves <= self.positive_octaves
        out = []
        for p, stride in enumerate(pair.stride for pair in self.pairs):
            h, w = sizes[p]
            ys = (torch.arange(h, device=device, dtype=torch.float32) + 0.5) * stride
            xs = (torch.arange(w, device=device, dtype=torch.float32) + 0.5) * stride
            labels = torch.full((h * w, ), -1, dtype=torch.long, device=device)
            if bboxes.numel():
                dx = (xs[None, None, :] - centre[:, 0, None, None]).abs()
                dy = (ys[None, :, None] - centre[:, 1, None, None]).abs()
                offset = torch.maximum(dx, dy).flatten(1) / stride  # (G, H*W)
                near = (octaves[:, p].abs() <= 1.0) & valid
                ignore = (near[:, None] & (offset <= 2 * self.center_tolerance)).any(0)
                labels[ignore] = -2
                pos = (best == p) & positive
                claim = offset.masked_fill(~pos[:, None] | (offset > self.center_tolerance),
                                           float('inf'))
                nearest, owner = claim.min(0)
                hit = torch.isfinite(nearest)
                labels[hit] = owner[hit]
            out.append(labels)
        return out

    def _sample(self, labels: Tensor) -> Tensor:
        """Indices into ``labels`` (all pairs of one image, concatenated) to train on."""
        pos = (labels >= 0).nonzero().flatten()
        neg = (labels == -1).nonzero().flatten()
        num_pos = min(pos.numel(), int(self.num_samples * self.pos_fraction))
        pos = pos[torch.randperm(pos.numel(), device=pos.device)[:num_pos]]
        neg = neg[torch.randperm(neg.numel(), device=neg.device)[:self.num_samples - num_pos]]
        return torch.cat([pos, neg])

    def loss(self, x: Sequence[Tensor], batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Score and mask losses of a batch (the detector's ``loss``)."""
        scores, masks = self(x)
        sizes = [s.shape[-2:] for s in scores]
        score_losses, mask_losses = [], []
        num_sampled = num_pos = 0
        for i, sample in enumerate(batch_data_samples):
            gt = sample.gt_instances
            if 'masks' not in gt:
                raise ValueError(
                    'FPNSegmentProposalHead trains on instance masks, and this batch has '
                    'none: load them with dict(type="LoadAnnotations", with_bbox=True, '
                    'with_mask=True) on a dataset whose annotations have "segmentation"')
            labels = torch.cat(self.assign(gt.bboxes, sizes))
            keep = self._sample(labels)
            num_sampled += keep.numel()
            flat_scores = torch.cat([s[i].flatten() for s in scores])
            score_losses.append(F.binary_cross_entropy_with_logits(
                flat_scores[keep], (labels[keep] >= 0).float(), reduction='sum'))
            pos = keep[labels[keep] >= 0]
            if pos.numel() == 0:
                continue
            num_pos += pos.numel()
            windows = self._window_boxes(pos, sizes)
            targets = gt.masks.crop_and_resize(
                windows, (self.mask_size, self.mask_size), labels[pos].cpu().numpy(),
                device=windows.device, binarize=True).to_tensor(torch.float32, windows.device)
            mask_losses.append(F.binary_cross_entropy_with_logits(
                self._gather(masks, i, pos, sizes), targets.flatten(1),
                reduction='sum') / self.mask_size**2)
        loss_score = torch.stack(score_losses).sum() / max(num_sampled, 1)
        if mask_losses:
            loss_mask = torch.stack(mask_losses).sum() / num_pos
        else:  # no positive in the batch: a zero loss that keeps the graph
            loss_mask = masks[0].sum() * 0
        return dict(loss_seg_score=self.loss_score_weight * loss_score,
                    loss_seg_mask=self.loss_mask_weight * loss_mask)

    def _split(self, flat: Tensor, sizes: Sequence[Tuple[int, int]]) -> Tuple[Tensor, Tensor]:
        """Pair index and index within that pair's map of each location index into
        the pairs' concatenated maps, ``(N,)`` each."""
        counts = torch.tensor([h * w for h, w in sizes], device=flat.device)
        starts = torch.cumsum(counts, 0) - counts
        pair = torch.bucketize(flat, starts, right=True) - 1
        return pair, flat - starts[pair]

    def _gather(self, masks: Sequence[Tensor], image: int, flat: Tensor,
                sizes: Sequence[Tuple[int, int]]) -> Tensor:
        """Mask logits ``(N, M * M)`` of the locations ``flat`` (indices into the
        pairs' concatenated maps) of one image, read from each pair's map
        ``(B, M * M, H_p, W_p)`` where they lie: only the ``N`` rows are copied (all
        locations' logits together would be ~100 MB per image at 800x1216)."""
        pair, local = self._split(flat, sizes)
        out = masks[0].new_empty(flat.numel(), self.mask_size**2)
        for p in pair.unique().tolist():
            rows = (pair == p).nonzero().flatten()
            out = out.index_copy(0, rows, masks[p][image].flatten(1)[:, local[rows]].t())
        return out

    def _window_boxes(self, flat: Tensor, sizes: Sequence[Tuple[int, int]]) -> Tensor:
        """``(N, 4)`` image-space window box of each location index into the pairs'
        concatenated maps: centred on the location, ``w * stride`` wide."""
        pair, local = self._split(flat, sizes)
        widths = torch.tensor([sizes[p][1] for p in range(len(sizes))], device=flat.device)
        strides = flat.new_tensor([p.stride for p in self.pairs], dtype=torch.float32)
        extents = flat.new_tensor([p.extent for p in self.pairs], dtype=torch.float32)
        cx = (local % widths[pair] + 0.5) * strides[pair]
        cy = (local // widths[pair] + 0.5) * strides[pair]
        half = extents[pair] / 2
        return torch.stack([cx - half, cy - half, cx + half, cy + half], 1)

    # --------------------------------------------------------------- inference
    def predict(self, x: Sequence[Tensor], batch_data_samples: SampleList,
                rescale: bool = True) -> List[InstanceData]:
        """Top-k mask proposals per image: ``masks`` (COCO RLE list), ``scores``,
        ``bboxes`` (each mask's tight box, zero where the mask is empty) and
        ``labels`` (all 0), in the original image when ``rescale``."""
        scores, masks = self(x)
        sizes = [s.shape[-2:] for s in scores]
        return [self.paste(*self.select([s[i] for s in scores], [k[i] for k in masks], sizes),
                           sample.metainfo, rescale)
                for i, sample in enumerate(batch_data_samples)]

    def select(self, scores: Sequence[Tensor], masks: Sequence[Tensor],
               sizes: Sequence[Tuple[int, int]]) -> Tuple[Tensor, Tensor, Tensor]:
        """The best locations of one image: ``(scores (N,), mask logits (N, M, M),
        window boxes (N, 4))`` in the network's input coordinates."""
        cfg = self.test_cfg
        flat_scores, flat_index = [], []
        start = 0
        for s in scores:
            s = s.flatten().sigmoid()
            top = s.topk(min(cfg.nms_pre, s.numel()))
            flat_scores.append(top.values)
            flat_index.append(top.indices + start)
            start += s.numel()
        all_scores, all_index = torch.cat(flat_scores), torch.cat(flat_index)
        windows = self._window_boxes(all_index, sizes)
        if cfg.nms is not None:
            pair = torch.cat([torch.full_like(f, p, dtype=torch.long)
                              for p, f in enumerate(flat_scores)])
            _, keep = batched_nms(windows, all_scores, pair, dict(type='nms', **cfg.nms))
        else:
            keep = all_scores.argsort(descending=True)
        keep = keep[:cfg.max_per_img]
        logits = self._gather([k[None] for k in masks], 0, all_index[keep], sizes)
        return (all_scores[keep], logits.view(-1, self.mask_size, self.mask_size),
                windows[keep])

    def paste(self, scores: Tensor, logits: Tensor, windows: Tensor, img_meta: dict,
              rescale: bool, chunk: int = 100) -> InstanceData:
        """Paste mask logits ``(N, M, M)`` into their windows ``(N, 4)`` of the image
        (the original one when ``rescale``), threshold, encode as RLE."""
        if rescale:
            h, w = img_meta['ori_shape'][:2]
            windows = windows / windows.new_tensor(img_meta['scale_factor']).repeat(2)
        else:
            h, w = img_meta['img_shape'][:2]
        rles: List[dict] = []
        for i in range(0, logits.shape[0], chunk):
            probs, _ = _do_paste_mask(logits[i:i + chunk, None].sigmoid().float(),
                                      windows[i:i + chunk], h, w, skip_empty=False)
            binary = (probs >= self.test_cfg.mask_thr).cpu().numpy().astype(np.uint8)
            encoded = mask_util.encode(np.asfortranarray(binary.transpose(1, 2, 0)))
            rles.extend(dict(size=r['size'], counts=r['counts'].decode('ascii')) for r in encoded)
        result = InstanceData()
        result.scores = scores
        result.labels = torch.zeros_like(scores, dtype=torch.long)
        boxes = mask_util.toBbox([dict(r, counts=r['counts'].encode()) for r in rles]) if rles \
            else np.zeros((0, 4))
        boxes = torch.as_tensor(boxes, dtype=torch.float32, device=scores.device).view(-1, 4)
        result.bboxes = torch.cat([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], 1)
        result.masks = rles
        return result
