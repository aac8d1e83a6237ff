"""RoI max pooling (the paper's "RoI pooling") on every device.

mmcv 2.1's ``RoIPool`` has kernels for CUDA, MLU and NPU only; on CPU it fails with
"roi_pool_forward_impl: implementation for device cpu not found". This module uses
mmcv's kernel wherever it exists and otherwise a PyTorch implementation of the
same semantics, checked in the tests against a slow loop-by-loop transcription
of mmcv's kernel.
"""
from functools import lru_cache
from typing import Tuple, Union

import torch
from mmcv import ops as mmcv_ops
from torch import Tensor

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


def _bin_edges(start: Tensor, extent: Tensor, bins: int, limit: int) -> Tuple[Tensor, Tensor]:
    """mmcv's quantised bin boundaries along one axis.

    Bin ``p`` spans ``[floor(p * extent / bins + start), ceil((p + 1) * extent / bins
    + start))``, clipped to ``[0, limit]``; computed in the input's dtype as mmcv does.

    Returns:
        ``(lo, hi)``, each ``(R, bins)`` int64.
    """
    size = extent / bins
    p = torch.arange(bins, device=start.device, dtype=start.dtype)
    lo = torch.floor(p * size[:, None] + start[:, None])
    hi = torch.ceil((p + 1) * size[:, None] + start[:, None])
    return lo.clamp(0, limit).long(), hi.clamp(0, limit).long()


def _roi_geometry(rois: Tensor, spatial_scale: float) -> Tuple[Tensor, ...]:
    """RoI corners in feature coordinates; mmcv adds 1 to x2, y2 (inclusive boxes)."""
    x1 = rois[:, 1] * spatial_scale
    y1 = rois[:, 2] * spatial_scale
    w = (rois[:, 3] + 1) * spatial_scale - x1
    h = (rois[:, 4] + 1) * spatial_scale - y1
    return x1, y1, w, h


def _pool_chunk(feat_hwc: Tensor, rois: Tensor, out_hw: Tuple[int, int],
                spatial_scale: float, height: int, width: int) -> Tensor:
    """Pool a chunk of RoIs from ``feat_hwc`` of shape ``(B * H * W, C)``.

    Returns:
        ``(R, C, out_h, out_w)``.
    """
    out_h, out_w = out_hw
    x1, y1, w, h = _roi_geometry(rois, spatial_scale)
    ys, ye = _bin_edges(y1, h, out_h, height)
    xs, xe = _bin_edges(x1, w, out_w, width)
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
             spatial_scale: float = 1.0) -> Tensor:
    """RoI max pooling with mmcv's semantics, in PyTorch.

    Bins are quantised to whole pixels (``floor``/``ceil`` of the real-valued bin
    edges, RoIs read as inclusive boxes), each output is the maximum over its bin,
    an empty bin gives 0, and the gradient goes to the arg-max pixel only (the
    first one in row-major order on ties, as mmcv's kernel). One deliberate
    difference: for a malformed RoI (x2 < x1 - 1) mmcv returns zeros but leaves
    arg-max 0, so its backward adds that RoI's gradient to pixel (0, 0); here
    such a RoI receives no gradient.

    Args:
        input: ``(B, C, H, W)`` features.
        rois: ``(R, 5)`` boxes ``(batch_index, x1, y1, x2, y2)`` in image pixels.
        output_size: ``(out_h, out_w)`` or one int (7 in the paper, Sec. 4.2).
        spatial_scale: Feature stride's reciprocal (1/4 on P2).

    Returns:
        ``(R, C, out_h, out_w)``.
    """
    out_hw = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    b, c, height, width = input.shape
    if rois.numel() == 0:
        return input.new_zeros(0, c, *out_hw)
    rois = rois.to(input.dtype)
    feat_hwc = input.permute(0, 2, 3, 1).reshape(b * height * width, c)
    # Gather a bounded number of elements at a time; sort by bin size first so that
    # one elongated RoI does not pad a whole chunk.
    _, _, w, h = _roi_geometry(rois, spatial_scale)
    bin_area = (w / out_hw[1] + 2) * (h / out_hw[0] + 2)
    order = torch.argsort(bin_area)
    out = input.new_empty(rois.size(0), c, *out_hw)
    per_roi = (bin_area[order].clamp(min=1) * out_hw[0] * out_hw[1] * c).tolist()
    start = 0
    while start < len(order):
        stop = start + 1
        while stop < len(order) and per_roi[stop] * (stop + 1 - start) <= _GATHER_BUDGET:
            stop += 1
        idx = order[start:stop]
        out = out.index_put((idx,), _pool_chunk(feat_hwc, rois[idx], out_hw,
                                                spatial_scale, height, width))
        start = stop
    return out


class RoIPool(mmcv_ops.RoIPool):
    """mmcv's ``RoIPool`` that falls back to :func:`roi_pool` where mmcv has no kernel.

    Paper: Sec. 4.2, "RoI pooling to extract 7x7 features".

    Args:
        output_size: ``(out_h, out_w)`` or one int.
        spatial_scale: 1 / stride of the pooled feature map.
    """

    def forward(self, input: Tensor, rois: Tensor) -> Tensor:
        """``(B, C, H, W)``, ``(R, 5)`` -> ``(R, C, out_h, out_w)``."""
        if mmcv_has_kernel(input.device.type):
            return super().forward(input, rois)
        return roi_pool(input, rois, self.output_size, self.spatial_scale)
