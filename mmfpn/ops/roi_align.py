"""RoIAlign (average mode) on the CPU with all cores, numerically mmcv's.

mmcv 2.1's CPU ``roi_align`` runs on one thread (measured here: 2000 RoIs on one
level take 0.96 s with 1 thread and 0.95 s with 2), which makes RoI extraction
cost more than the whole FPN neck. :func:`roi_align` computes the same thing with
PyTorch ops that use every core: the bilinear weights of all samples form a
sparse matrix, applied to a channels-last view of the features in one product.
Sample positions, clamping and weights are computed in the input dtype with the
same operations in the same order as mmcv's kernel, so results equal mmcv's up
to the rounding of the final sum. The gradient is autograd's (mmcv's formula).
"""
import warnings
from typing import Tuple, Union

import torch
from mmcv import ops as mmcv_ops
from torch import Tensor


def _axis(start: Tensor, bin_size: Tensor, grid: int, bins: int, limit: int
          ) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """One axis of mmcv's ``pre_calc_for_bilinear_interpolate``, all samples at once.

    Sample ``s`` of bin ``p`` lies at ``(start + p * bin) + (s + 0.5) * bin / grid``.

    Returns:
        ``(low, high, l, h, outside)``, each ``(R, bins, grid)``: neighbour indices,
        the interpolation weights ``l = pos - low`` and ``h = 1 - l``, and whether
        the sample lies beyond [-1, limit] (then it contributes nothing).
    """
    p = torch.arange(bins, device=start.device, dtype=start.dtype)[:, None]
    step = torch.arange(grid, device=start.device, dtype=start.dtype) + 0.5
    size = bin_size[:, None, None]
    pos = (start[:, None, None] + p * size) + step * size / grid
    outside = (pos < -1.0) | (pos > limit)
    pos = pos.clamp(min=0)
    low = pos.long()  # truncation, pos >= 0
    at_edge = low >= limit - 1
    low = low.clamp(max=limit - 1)
    high = torch.where(at_edge, low, low + 1)
    pos = torch.where(at_edge, low.to(pos.dtype), pos)
    frac = pos - low.to(pos.dtype)
    return low, high, frac, 1.0 - frac, outside


def roi_align(input: Tensor, rois: Tensor, output_size: Union[int, Tuple[int, int]],
              spatial_scale: float = 1.0, sampling_ratio: int = 0,
              aligned: bool = True) -> Tensor:
    """Average RoIAlign with mmcv's semantics (``pool_mode='avg'``).

    Every output bin is a weighted sum of feature pixels: its samples' bilinear
    weights (mmcv's, exactly) divided by the sample count. All bins of all RoIs
    form one sparse ``(R * out_h * out_w, B * H * W)`` matrix, applied to the
    channels-last features with one multithreaded sparse-dense product.

    Args:
        input: ``(B, C, H, W)`` features (any memory format).
        rois: ``(R, 5)`` boxes ``(batch_index, x1, y1, x2, y2)`` in image pixels.
        output_size: ``(out_h, out_w)`` or one int.
        spatial_scale: 1 / stride of ``input``.
        sampling_ratio: Samples per bin side; 0 means ``ceil(roi_size / out_size)``.
        aligned: Shift by half a pixel (Detectron2's ``aligned=True``, mmdet's default).

    Returns:
        ``(R, C, out_h, out_w)``; equal to mmcv's up to float rounding of the sum
        order (max abs difference ~1e-6 for unit-scale features).
    """
    out_h, out_w = (output_size, output_size) if isinstance(output_size, int) else output_size
    batch, channels, height, width = input.shape
    if rois.numel() == 0:
        return input.new_zeros(0, channels, out_h, out_w)
    rois = rois.to(input.dtype)
    offset = 0.5 if aligned else 0.0
    x1 = rois[:, 1] * spatial_scale - offset
    y1 = rois[:, 2] * spatial_scale - offset
    roi_w = (rois[:, 3] * spatial_scale - offset) - x1
    roi_h = (rois[:, 4] * spatial_scale - offset) - y1
    if aligned:
        if bool((roi_w < 0).any() or (roi_h < 0).any()):
            raise ValueError('roi_align: RoIs with x2 < x1 or y2 < y1 are invalid')
    else:
        roi_w, roi_h = roi_w.clamp(min=1.0), roi_h.clamp(min=1.0)
    bin_w, bin_h = roi_w / out_w, roi_h / out_h
    if sampling_ratio > 0:
        grid_h = grid_w = torch.full_like(roi_h, sampling_ratio, dtype=torch.long)
    else:
        grid_h, grid_w = torch.ceil(roi_h / out_h).long(), torch.ceil(roi_w / out_w).long()
    base = rois[:, 0].long() * (height * width)
    order, cols, vals, row_nnz, row_count = [], [], [], [], []
    for key in torch.unique(grid_h * 4096 + grid_w).tolist():
        gh, gw = divmod(key, 4096)
        idx = torch.nonzero((grid_h == gh) & (grid_w == gw)).squeeze(1)
        order.append(idx)
        rows = idx.numel() * out_h * out_w
        if gh == 0 or gw == 0:  # a zero-size RoI samples nothing: 0, as mmcv
            row_nnz.append(torch.zeros(rows, dtype=torch.long))
            row_count.append(torch.ones(rows, dtype=input.dtype))
            continue
        ys = _axis(y1[idx], bin_h[idx], gh, out_h, height)
        xs = _axis(x1[idx], bin_w[idx], gw, out_w, width)
        y_low, y_high, ly, hy, y_out = (t[:, :, None, :, None] for t in ys)  # (r,oh,1,gh,1)
        x_low, x_high, lx, hx, x_out = (t[:, None, :, None, :] for t in xs)  # (r,1,ow,1,gw)
        outside = y_out | x_out
        b = base[idx][:, None, None, None, None]
        corners = ((y_low, x_low, hy, hx), (y_low, x_high, hy, lx),
                   (y_high, x_low, ly, hx), (y_high, x_high, ly, lx))
        cols.append(torch.stack([torch.where(outside, b, b + yi * width + xi)
                                 for yi, xi, _, _ in corners], -1).reshape(-1))
        vals.append(torch.stack([(wy * wx).masked_fill(outside, 0.0)
                                 for _, _, wy, wx in corners], -1).reshape(-1))
        row_nnz.append(torch.full((rows,), gh * gw * 4, dtype=torch.long))
        row_count.append(torch.full((rows,), float(gh * gw), dtype=input.dtype))
    crow = torch.cat([torch.zeros(1, dtype=torch.long), torch.cat(row_nnz).cumsum(0)])
    with warnings.catch_warnings():  # "sparse CSR support is in beta": used as documented
        warnings.simplefilter('ignore', UserWarning)
        weights = torch.sparse_csr_tensor(
            crow, torch.cat(cols) if cols else crow.new_zeros(0),
            torch.cat(vals) if vals else input.new_zeros(0),
            size=(crow.numel() - 1, batch * height * width), dtype=input.dtype,
            check_invariants=False)  # built sorted and in range by construction
    # (B*H*W, C): a view when ``input`` is channels-last, one copy otherwise.
    feat = input.permute(0, 2, 3, 1).reshape(batch * height * width, channels)
    pooled = (weights @ feat) / torch.cat(row_count)[:, None]
    out = input.new_empty(rois.size(0), out_h, out_w, channels)
    out[torch.cat(order)] = pooled.view(-1, out_h, out_w, channels)
    return out.permute(0, 3, 1, 2)


class RoIAlign(mmcv_ops.RoIAlign):
    """mmcv's ``RoIAlign``; for CPU inference in average mode, :func:`roi_align`.

    Paper: Sec. 4.2 uses RoI pooling; RoIAlign (Mask R-CNN) is mmdet's and
    detectron2's choice, see :class:`mmfpn.models.PaperRoIExtractor`.
    """

    def forward(self, input: Tensor, rois: Tensor) -> Tensor:
        """``(B, C, H, W)``, ``(R, 5)`` -> ``(R, C, out_h, out_w)``."""
        if (input.device.type != 'cpu' or self.pool_mode != 'avg' or self.use_torchvision
                or (torch.is_grad_enabled() and input.requires_grad)):
            # Training keeps mmcv's kernel: the sparse product's backward (a
            # transposed sparse-dense product) is slower than mmcv's scatter.
            return super().forward(input, rois)
        return roi_align(input, rois, self.output_size, self.spatial_scale,
                         self.sampling_ratio, self.aligned)
