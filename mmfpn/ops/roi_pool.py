"""RoI max pooling on every device, with mmcv's bins or the paper's.

Two semantics, one switch (``round_rois``):

- ``round_rois=False``, **mmcv's** (mmdet's ``RoIPool``): the RoI is read as an
  inclusive box in real-valued feature coordinates, ``[x1*s, (x2+1)*s)``, and each
  bin's real-valued edges are floored/ceiled to pixels ("sub-pixel bins").
- ``round_rois=True``, **the paper's** (Fast R-CNN's Caffe layer, Detectron's
  ``RoIPool``, ``torchvision.ops.roi_pool``): the RoI corners are first rounded to
  the feature grid (half away from zero), the RoI spans ``round(x2*s) - round(x1*s)
  + 1`` pixels (at least 1), and bins are ``floor(p * bin)`` .. ``ceil((p+1) * bin)``
  from the rounded corner. This quantisation is what RoIAlign later removed.

mmcv 2.1's ``RoIPool`` has kernels for CUDA, MLU and NPU only; on CPU it fails with
"roi_pool_forward_impl: implementation for device cpu not found". :class:`RoIPool`
uses mmcv's kernel for mmcv's semantics wherever it exists, and otherwise (CPU, or
``round_rois=True`` on any device) the PyTorch :func:`roi_pool`, checked in the
tests against slow loop-by-loop transcriptions of both kernels.

Totality: RoIs with NaN/Inf coordinates or a batch index outside ``[0, B)`` raise
``ValueError`` naming the RoI (:func:`mmfpn.ops.checks.check_rois`); finite RoIs
anywhere give the reference's bins, clipped to the map. fp16/bf16 features: the
bin edges are computed in float32 (so a half-rounded coordinate cannot overflow)
and the maximum is exact in the input dtype.
"""
from functools import lru_cache
from typing import Tuple, Union

import torch
from mmcv import ops as mmcv_ops
from torch import Tensor

from mmfpn.ops.checks import check_rois, refuse, zeros_like_pooled

#: Elements (RoIs x bins x pixels-per-bin x channels) gathered at once on the
#: PyTorch path; bounds its peak memory to about 256 MiB in fp32.
_GATHER_BUDGET = 64 * 2**20


@lru_cache(maxsize=None)
def mmcv_has_kernel(device_type: str) -> bool:
    """Whether mmcv's compiled RoIPool runs on ``device_type`` ('cpu', 'cuda', ...)."""
    x = torch.zeros(1, 1, 2, 2, device=device_type)
    rois = torch.tensor([[0., 0., 0., 1., 1.]], device=device_type)
    try:
        mmcv_ops.roi_pool(x, rois, (1, 1), 1.0)
    except (RuntimeError, NotImplementedError):
        return False
    return True


def _bin_edges(start: Tensor, extent: Tensor, bins: int, limit: int, round_rois: bool
               ) -> Tuple[Tensor, Tensor]:
    """Quantised bin boundaries along one axis.

    mmcv: bin ``p`` spans ``[floor(p * extent / bins + start), ceil((p + 1) * extent
    / bins + start))``. Paper (``round_rois``, ``start`` an integer): ``[floor(p *
    extent / bins) + start, ceil((p + 1) * extent / bins) + start)``. Both clipped to
    ``[0, limit]``, in the order of operations of the reference kernels.

    Returns:
        ``(lo, hi)``, each ``(R, bins)`` int64.
    """
    size = extent / bins
    p = torch.arange(bins, device=start.device, dtype=start.dtype)
    if round_rois:
        lo = torch.floor(p * size[:, None]) + start[:, None]
        hi = torch.ceil((p + 1) * size[:, None]) + start[:, None]
    else:
        lo = torch.floor(p * size[:, None] + start[:, None])
        hi = torch.ceil((p + 1) * size[:, None] + start[:, None])
    return lo.clamp(0, limit).long(), hi.clamp(0, limit).long()


def _round_half_away(x: Tensor) -> Tensor:
    """C's ``round`` (halves away from zero), which Caffe and torchvision use;
    ``torch.round`` rounds halves to even."""
    return torch.sign(x) * torch.floor(x.abs() + 0.5)


def _roi_geometry(rois: Tensor, spatial_scale: float, round_rois: bool) -> Tuple[Tensor, ...]:
    """RoI corner and extent ``(x1, y1, w, h)`` in feature pixels, each ``(R,)``.

    mmcv: real-valued, ``x2 + 1`` (inclusive boxes). Paper (``round_rois``): corners
    rounded to the grid, ``w = max(round(x2 * s) - round(x1 * s) + 1, 1)``.
    """
    if round_rois:
        x1, y1, x2, y2 = _round_half_away(rois[:, 1:] * spatial_scale).unbind(1)
        return x1, y1, (x2 - x1 + 1).clamp(min=1), (y2 - y1 + 1).clamp(min=1)
    x1 = rois[:, 1] * spatial_scale
    y1 = rois[:, 2] * spatial_scale
    w = (rois[:, 3] + 1) * spatial_scale - x1
    h = (rois[:, 4] + 1) * spatial_scale - y1
    return x1, y1, w, h


def _pool_chunk(feat_hwc: Tensor, rois: Tensor, out_hw: Tuple[int, int],
                spatial_scale: float, height: int, width: int, round_rois: bool) -> Tensor:
    """Pool a chunk of RoIs from ``feat_hwc`` of shape ``(B * H * W, C)``.

    Returns:
        ``(R, C, out_h, out_w)``.
    """
    out_h, out_w = out_hw
    x1, y1, w, h = _roi_geometry(rois, spatial_scale, round_rois)
    ys, ye = _bin_edges(y1, h, out_h, height, round_rois)
    xs, xe = _bin_edges(x1, w, out_w, width, round_rois)
    kh = max(int((ye - ys).max()), 1)
    kw = max(int((xe - xs).max()), 1)
    rows = ys[:, :, None] + torch.arange(kh, device=rois.device)          # (R, out_h, kh)
    cols = xs[:, :, None] + torch.arange(kw, device=rois.device)          # (R, out_w, kw)
    row_ok = rows < ye[:, :, None]
    col_ok = cols < xe[:, :, None]
    # (R, out_h, out_w, kh, kw): pixels of each bin in row-major scan order.
    ok = row_ok[:, :, None, :, None] & col_ok[:, None, :, None, :]
    ok &= ((w > 0) & (h > 0))[:, None, None, None, None]
    base = rois[:, 0].long() * (height * width)
    index = (base[:, None, None, None, None]
             + rows.clamp(max=height - 1)[:, :, None, :, None] * width
             + cols.clamp(max=width - 1)[:, None, :, None, :])
    r = rois.size(0)
    values = feat_hwc[index.reshape(-1)].view(r, out_h, out_w, kh * kw, -1)
    ok = ok.view(r, out_h, out_w, kh * kw, 1)
    values = values.masked_fill(~ok, float('-inf'))
    # torch.max returns the first maximum; with the row-major order this is the
    # pixel mmcv's strict ">" scan keeps, and autograd routes the gradient there.
    best = values.max(dim=3).values                                        # (R, oh, ow, C)
    best = best.masked_fill(~ok.any(dim=3), 0.0)                           # empty bins: 0
    return best.permute(0, 3, 1, 2)


def roi_pool(input: Tensor, rois: Tensor, output_size: Union[int, Tuple[int, int]],
             spatial_scale: float = 1.0, round_rois: bool = False) -> Tensor:
    """RoI max pooling in PyTorch, with mmcv's bins or the paper's (module docstring).

    Each output is the maximum over its bin's pixels, an empty bin gives 0, and the
    gradient goes to the arg-max pixel only (the first one in row-major order on
    ties, as the reference kernels). One deliberate difference from mmcv: for a
    malformed RoI (x2 < x1 - 1) mmcv returns zeros but leaves arg-max 0, so its
    backward adds that RoI's gradient to pixel (0, 0); here such a RoI receives no
    gradient. (With ``round_rois`` such a RoI is one pixel wide, as in Caffe.)

    Args:
        input: ``(B, C, H, W)`` features.
        rois: ``(R, 5)`` boxes ``(batch_index, x1, y1, x2, y2)`` in image pixels.
        output_size: ``(out_h, out_w)`` or one int (7 in the paper, Sec. 4.2).
        spatial_scale: Feature stride's reciprocal (1/4 on P2).
        round_rois: Round the RoI to the feature grid first (the paper's Caffe /
            Detectron RoI pooling, ``torchvision.ops.roi_pool``); False is mmcv's.

    Returns:
        ``(R, C, out_h, out_w)`` in ``input.dtype``.

    Raises:
        ValueError: for non-finite RoIs, bad batch indices, or a RoI whose scaled
            extent overflows.
    """
    out_hw = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    b, c, height, width = input.shape
    check_rois(rois, b, 'roi_pool')
    if rois.numel() == 0 or height == 0 or width == 0:
        return zeros_like_pooled(input, (rois.size(0), c, *out_hw))
    dtype = torch.float32 if input.dtype in (torch.float16, torch.bfloat16) else input.dtype
    rois = rois.to(dtype)
    feat_hwc = input.permute(0, 2, 3, 1).reshape(b * height * width, c)
    # Gather a bounded number of elements at a time; sort by bin size first so that
    # one elongated RoI does not pad a whole chunk.
    _, _, w, h = _roi_geometry(rois, spatial_scale, round_rois)
    refuse('roi_pool', rois, ~(torch.isfinite(w) & torch.isfinite(h)),
           f'overflows {dtype} once scaled')
    bin_area = (w.clamp(0, width) / out_hw[1] + 2) * (h.clamp(0, height) / out_hw[0] + 2)
    order = torch.argsort(bin_area)
    out = input.new_empty(rois.size(0), c, *out_hw)
    per_roi = (bin_area[order].clamp(min=1) * out_hw[0] * out_hw[1] * c).tolist()
    start = 0
    while start < len(order):
        stop = start + 1
        while stop < len(order) and per_roi[stop] * (stop + 1 - start) <= _GATHER_BUDGET:
            stop += 1
        idx = order[start:stop]
        out = out.index_put((idx,), _pool_chunk(feat_hwc, rois[idx], out_hw, spatial_scale,
                                                height, width, round_rois))
        start = stop
    return out


class RoIPool(mmcv_ops.RoIPool):
    """mmcv's ``RoIPool`` on every device, or the paper's with ``round_rois=True``.

    Paper: Sec. 4.2, "RoI pooling to extract 7x7 features": Fast R-CNN's RoI max
    pooling, which rounds the RoI to the feature grid (``round_rois=True``, what the
    paper configs select). ``round_rois=False`` (default, so that ``type='RoIPool'``
    means what it means in mmdet) is mmcv's sub-pixel bins; mmcv's kernel runs it
    where one exists (CUDA), :func:`roi_pool` elsewhere.

    Args:
        output_size: ``(out_h, out_w)`` or one int.
        spatial_scale: 1 / stride of the pooled feature map.
        round_rois: The paper's quantised RoIs (see :mod:`mmfpn.ops.roi_pool`).
    """

    def __init__(self, output_size: Union[int, Tuple[int, int]], spatial_scale: float = 1.0,
                 round_rois: bool = False) -> None:
        super().__init__(output_size, spatial_scale)
        self.round_rois = round_rois

    def forward(self, input: Tensor, rois: Tensor) -> Tensor:
        """``(B, C, H, W)``, ``(R, 5)`` -> ``(R, C, out_h, out_w)``."""
        if not self.round_rois and mmcv_has_kernel(input.device.type):
            return super().forward(input, rois)
        return roi_pool(input, rois, self.output_size, self.spatial_scale, self.round_rois)
