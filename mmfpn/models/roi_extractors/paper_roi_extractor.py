"""Assign each RoI to one pyramid level by its scale, then pool it there.

Paper: Sec. 4.2 ("Feature Pyramid Networks for Fast R-CNN"), Eq. (1).
"""
import math
from typing import List, Optional, Sequence

import torch
from mmcv import ops as mmcv_ops
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from mmdet.registry import MODELS
from torch import Tensor, nn

from mmfpn.ops.checks import check_rois, zeros_like_pooled
from mmfpn.ops.roi_align import RoIAlign
from mmfpn.ops.roi_pool import RoIPool

#: Eq. (1): "224 is the canonical ImageNet pre-training size".
CANONICAL_SCALE = 224
#: Eq. (1): "k0 is the target level on which an RoI with w x h = 224^2 should be
#: mapped into ... we set k0 to 4" (C4 is the single-scale Faster R-CNN feature).
CANONICAL_LEVEL = 4
#: Detectron adds 1e-6 inside the log (``log2(s / s0 + 1e-6)``) so that scales
#: exactly on a level boundary are not pushed down by rounding; mmdet does the same
#: relative to its ``finest_scale`` and so do we, which keeps parity with mmdet.
LEVEL_EPS = 1e-6


def map_rois_to_levels(rois: Tensor, finest_level: int, num_levels: int,
                       canonical_scale: float = CANONICAL_SCALE,
                       canonical_level: int = CANONICAL_LEVEL) -> Tensor:
    """Pyramid level of each RoI, Eq. (1), as an index into the pooled levels.

    ``k = floor(k0 + log2(sqrt(w * h) / 224))``, clamped to the available levels
    (P2..P5 in the paper). Computed as ``finest_level + floor(log2(sqrt(w * h) /
    finest_scale + eps))`` with ``finest_scale = 224 * 2^(finest_level - k0)``
    (56 for P2), which is Eq. (1) rearranged and exactly what mmdet's
    ``SingleRoIExtractor(finest_scale=56)`` computes.

    Args:
        rois: ``(R, 5)`` boxes ``(batch_index, x1, y1, x2, y2)``; width is ``x2 - x1``.
        finest_level: ``k`` of the first pooled map (2 for P2).
        num_levels: Number of pooled maps (4 for P2..P5).
        canonical_scale: 224 in the paper.
        canonical_level: ``k0`` = 4 in the paper.

    Returns:
        ``(R,)`` int64 in ``[0, num_levels)``: ``k - finest_level``.

    Example:
        >>> rois = torch.tensor([[0, 0, 0, 111.9, 111.9], [0, 0, 0, 112, 112]])
        >>> map_rois_to_levels(rois, finest_level=2, num_levels=4).tolist()
        [0, 1]
    """
    if rois.dtype in (torch.float16, torch.bfloat16):
        # Deviation from mmdet, which maps in the features' dtype: in fp16 ``w * h``
        # overflows above 256^2 px^2 (P4 RoIs land on P5), in bf16 the 8-bit
        # mantissa moves RoIs across level boundaries. float32 gives the level of
        # the same (rounded) box that a float32 model computes.
        rois = rois.float()
    scale = torch.sqrt((rois[:, 3] - rois[:, 1]) * (rois[:, 4] - rois[:, 2]))
    finest = finest_scale(finest_level, canonical_scale, canonical_level)
    level = torch.floor(torch.log2(scale / finest + LEVEL_EPS))
    return level.clamp(min=0, max=num_levels - 1).long()


def finest_scale(finest_level: int, canonical_scale: float = CANONICAL_SCALE,
                 canonical_level: int = CANONICAL_LEVEL) -> float:
    """The RoI scale Eq. (1) maps to the lower edge of ``finest_level``'s range.

    ``224 * 2^(finest_level - k0)``: 56 for P2, mmdet's ``finest_scale`` default.

    Example:
        >>> finest_scale(2)
        56.0
    """
    return canonical_scale * 2.0**(finest_level - canonical_level)


def canonical_scale_of(extractor: SingleRoIExtractor,
                       canonical_level: int = CANONICAL_LEVEL) -> float:
    """Eq. (1)'s canonical scale of any mmdet RoI extractor: the inverse of
    :func:`finest_scale`.

    A :class:`PaperRoIExtractor` names it; mmdet's ``SingleRoIExtractor`` stores
    ``finest_scale`` instead, which is the canonical scale two levels down for
    stride 4 (P2): ``finest_scale * 2^(k0 - finest_level)``.

    Example:
        >>> stock = SingleRoIExtractor(dict(type='RoIAlign', output_size=7), 8, [4, 8, 16, 32])
        >>> canonical_scale_of(stock)
        224.0
    """
    if isinstance(extractor, PaperRoIExtractor):
        return float(extractor.canonical_scale)
    finest_level = int(math.log2(extractor.featmap_strides[0]))
    return extractor.finest_scale * 2.0**(canonical_level - finest_level)


@MODELS.register_module()
class PaperRoIExtractor(SingleRoIExtractor):
    """Pool each RoI from the pyramid level its scale selects (Eq. 1).

    Paper: Sec. 4.2, Eq. (1): ``k = floor(k0 + log2(sqrt(wh) / 224))``, ``k0 = 4``;
    RoIs are pooled from P2..P5 (P6 is for the RPN only).

    mmdet's ``SingleRoIExtractor`` with two things overridden: the level map is
    Eq. (1) with the paper's constants by name (:func:`map_rois_to_levels`), and
    ``RoIAlign`` / ``RoIPool`` resolve to :mod:`mmfpn.ops` (mmcv's ops, with total
    multithreaded CPU kernels). ``forward`` is mmdet's, after a check of the inputs,
    so with ``roi_layer=dict(type='RoIAlign', ...)`` the output equals
    ``SingleRoIExtractor(finest_scale=56)`` by construction.

    Deviation: the paper (and Detectron at the time) used RoI max pooling with RoIs
    rounded to the grid, ``roi_layer=dict(type='RoIPool', output_size=7,
    round_rois=True)``, which restores it (the paper configs select it);
    ``round_rois=False`` is mmcv's RoIPool. mmdet's and detectron2's configs use
    RoIAlign.

    Args:
        roi_layer: An mmcv RoI op config, e.g. ``dict(type='RoIAlign',
            output_size=7, sampling_ratio=0)``.
        out_channels: Channels of the pooled maps (256).
        featmap_strides: Strides of the pooled maps, finest first, consecutive
            powers of two, e.g. ``[4, 8, 16, 32]`` for P2..P5, or one stride for
            a single level (Table 2(f) pools everything from P2).
        canonical_scale: 224 (Eq. 1).
        canonical_level: ``k0`` = 4 (Eq. 1).
        init_cfg: Init config (the RoI ops have no weights).

    Example:
        >>> ext = PaperRoIExtractor(dict(type='RoIAlign', output_size=7,
        ...                              sampling_ratio=0), 8, [4, 8, 16, 32])
        >>> feats = [torch.rand(1, 8, 64 // 2**i, 64 // 2**i) for i in range(4)]
        >>> ext(feats, torch.tensor([[0., 10, 10, 200, 150]])).shape
        torch.Size([1, 8, 7, 7])
    """

    def __init__(self,
                 roi_layer: dict,
                 out_channels: int,
                 featmap_strides: List[int],
                 canonical_scale: float = CANONICAL_SCALE,
                 canonical_level: int = CANONICAL_LEVEL,
                 init_cfg: Optional[dict] = None) -> None:
        strides = list(featmap_strides)
        if not strides or any(not isinstance(s, int) or s <= 0 or s & (s - 1)
                              for s in strides):
            raise ValueError('PaperRoIExtractor: featmap_strides must be powers of '
                             f'two, finest first (e.g. [4, 8, 16, 32]), got {strides}')
        if any(b != 2 * a for a, b in zip(strides, strides[1:])):
            raise ValueError('PaperRoIExtractor: featmap_strides must double from '
                             f'level to level (P_k has stride 2^k), got {strides}')
        if canonical_scale <= 0:
            raise ValueError(f'PaperRoIExtractor: canonical_scale must be > 0, got {canonical_scale}')
        finest_level = int(math.log2(strides[0]))
        super().__init__(roi_layer=roi_layer, out_channels=out_channels,
                         featmap_strides=strides,
                         finest_scale=finest_scale(finest_level, canonical_scale,
                                                   canonical_level),
                         init_cfg=init_cfg)
        #: ``k`` of the first pooled map: 2 for stride 4 (P2).
        self.finest_level = finest_level
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level

    def build_roi_layers(self, layer_cfg: dict, featmap_strides: List[int]) -> nn.ModuleList:
        """One RoI op per level. ``RoIPool`` and ``RoIAlign`` resolve to mmfpn's
        subclasses of mmcv's ops, which on the CPU run :mod:`mmfpn.ops` kernels
        (RoIPool has none in mmcv; mmcv's RoIAlign uses one thread)."""
        cfg = dict(layer_cfg)
        layer_type = cfg.pop('type', None)
        if layer_type in ('RoIPool', mmcv_ops.RoIPool):
            layer_cls = RoIPool
        elif layer_type in ('RoIAlign', mmcv_ops.RoIAlign):
            layer_cls = RoIAlign
        elif isinstance(layer_type, str) and hasattr(mmcv_ops, layer_type):
            layer_cls = getattr(mmcv_ops, layer_type)
        elif isinstance(layer_type, type):
            layer_cls = layer_type
        else:
            raise ValueError(f'PaperRoIExtractor: unknown roi_layer type {layer_type!r}; '
                             "use an mmcv op such as 'RoIAlign' or 'RoIPool'")
        return nn.ModuleList(layer_cls(spatial_scale=1 / s, **cfg) for s in featmap_strides)

    def map_roi_levels(self, rois: Tensor, num_levels: int) -> Tensor:
        """Level index of each RoI, Eq. (1); see :func:`map_rois_to_levels`."""
        return map_rois_to_levels(rois, self.finest_level, num_levels,
                                  self.canonical_scale, self.canonical_level)

    def forward(self, feats: Sequence[Tensor], rois: Tensor,
                roi_scale_factor: Optional[float] = None) -> Tensor:
        """mmdet's ``SingleRoIExtractor.forward`` on checked inputs.

        A non-finite RoI would get no level from Eq. (1) and silently pool nothing,
        so it is refused here as the ops refuse it (:func:`mmfpn.ops.checks.check_rois`).
        The output always carries a gradient path to features that require one
        (zero gradients where nothing is pooled), also for no RoIs at all.

        Args:
            feats: The pooled maps, finest first, ``(B, C, H/s_i, W/s_i)``; exactly
                ``len(featmap_strides)`` of them.
            rois: ``(R, 5)`` boxes ``(batch_index, x1, y1, x2, y2)``.
            roi_scale_factor: Optional enlargement of each RoI around its centre,
                applied after the level is chosen (as mmdet).

        Returns:
            ``(R, C, out_h, out_w)``.
        """
        if len(feats) != self.num_inputs:
            raise ValueError(f'PaperRoIExtractor: got {len(feats)} feature maps for '
                             f'featmap_strides={self.featmap_strides}')
        check_rois(rois, feats[0].size(0), 'PaperRoIExtractor')
        out = super().forward(feats, rois, roi_scale_factor)
        if not out.requires_grad and any(f.requires_grad for f in feats):
            # mmdet returns a graph-less tensor for no RoIs on a single level.
            out = out + sum(zeros_like_pooled(f, ()) for f in feats)
        return out
