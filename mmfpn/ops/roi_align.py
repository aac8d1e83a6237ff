"""RoIAlign (average mode) on the CPU with all cores, numerically mmcv's.

mmcv 2.1's CPU ``roi_align`` runs on one thread, which makes RoI extraction cost more
than the whole FPN neck (``docs/roi_ops.md``). :func:`roi_align` computes the same thing with
PyTorch ops that use every core: the bilinear weights of all samples form a
sparse matrix, applied to a channels-last view of the features in one product.
Sample positions, clamping and weights are computed with the same operations in
the same order as mmcv's kernel, so float32/float64 results equal mmcv's up to the
rounding of the final sum. The gradient is autograd's (mmcv's formula).

Totality (every input gives mmcv's answer or a ``ValueError``, never a read
outside the features):

- RoIs with a NaN/Inf coordinate, a batch index outside ``[0, B)``, or, with
  ``aligned=True``, ``x2 < x1`` or ``y2 < y1`` raise ``ValueError`` naming the RoI
  (mmcv asserts the last; on the first two its kernel reads outside the input).
- Finite RoIs anywhere, inside, across or far outside the map, give mmcv's values:
  samples beyond ``[-1, size]`` contribute 0, the others are clamped to the border.
- A RoI whose samples alone would need more than ``_NNZ_BUDGET`` matrix entries
  (``sampling_ratio=0`` takes ``ceil(size / output_size)`` samples per bin side, so
  a 1e9-pixel box asks for ~1e16) raises ``ValueError``; mmcv fails to allocate.
- fp16 / bf16 features: positions, weights and the product are computed in
  float32 and the result is rounded once to the input dtype, i.e. mmcv's float32
  answer on the same (half-rounded) inputs within one half-precision rounding.
- No RoIs, batch 0, or an empty map give zeros of shape ``(R, C, out_h, out_w)``.
"""
import warnings
from typing import List, Tuple, Union

import torch
from mmcv import ops as mmcv_ops
from torch import Tensor

from mmfpn.ops.checks import check_rois, refuse, zeros_like_pooled

#: Entries (4 per bilinear sample) of one interpolation matrix: about 1 GiB of
#: indices, weights and temporaries. Larger requests are split into several
#: products; a single RoI that needs more on its own is refused.
_NNZ_BUDGET = 2**26


def _axis(start: Tensor, bin_size: Tensor, grid: int, bins: int, limit: int
          ) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """One axis of mmcv's ``pre_calc_for_bilinear_interpolate``, all samples at once.

    Sample ``s`` of bin ``p`` lies at ``(start + p * bin) + (s + 0.5) * bin / grid``.

    Returns:
        ``(low, high, l, h, outside)``, each ``(R, bins, grid)``: neighbour indices
        in ``[0, limit)``, the interpolation weights ``l = pos - low`` and
        ``h = 1 - l``, and whether the sample lies beyond [-1, limit] (then it
        contributes nothing; a NaN position counts as beyond).
    """
    p = torch.arange(bins, device=start.device, dtype=start.dtype)[:, None]
    step = torch.arange(grid, device=start.device, dtype=start.dtype) + 0.5
    size = bin_size[:, None, None]
    pos = (start[:, None, None] + p * size) + step * size / grid
    outside = ~((pos >= -1.0) & (pos <= limit))
    # mmcv: y <= 0 -> 0; low = (int)y; low >= limit - 1 -> low = high = limit - 1.
    # Clamping before the truncation gives the same values and keeps it in range.
    pos = pos.nan_to_num(0.0).clamp(min=0, max=limit - 1)
    low = pos.long()
    at_edge = low >= limit - 1
    high = torch.where(at_edge, low, low + 1)
    pos = torch.where(at_edge, low.to(pos.dtype), pos)
    frac = pos - low.to(pos.dtype)
    return low, high, frac, 1.0 - frac, outside


def _bin_weights(x1: Tensor, y1: Tensor, bin_w: Tensor, bin_h: Tensor, base: Tensor,
                 grid: Tuple[int, int], out_hw: Tuple[int, int], hw: Tuple[int, int]
                 ) -> Tuple[Tensor, Tensor]:
    """Columns and weights of the ``4 * gh * gw`` bilinear taps of every bin.

    Args:
        x1, y1, bin_w, bin_h, base: ``(n,)`` per RoI: its corner in feature
            coordinates, its bin size, and ``batch_index * H * W``.
        grid: ``(gh, gw)`` samples per bin side, the same for these ``n`` RoIs.
        out_hw: ``(out_h, out_w)``.
        hw: ``(H, W)`` of the features.

    Returns:
        ``(cols, vals)``, each ``(n * out_h * out_w * 4 * gh * gw,)``, row-major by
        RoI, bin row, bin column; taps outside the map point at the image's first
        pixel with weight 0.
    """
    (gh, gw), (out_h, out_w), (height, width) = grid, out_hw, hw
    y_low, y_high, ly, hy, y_out = (t[:, :, None, :, None]  # (n, oh, 1, gh, 1)
                                    for t in _axis(y1, bin_h, gh, out_h, height))
    x_low, x_high, lx, hx, x_out = (t[:, None, :, None, :]  # (n, 1, ow, 1, gw)
                                    for t in _axis(x1, bin_w, gw, out_w, width))
    outside = y_out | x_out
    b = base[:, None, None, None, None]
    corners = ((y_low, x_low, hy, hx), (y_low, x_high, hy, lx),
               (y_high, x_low, ly, hx), (y_high, x_high, ly, lx))
    cols = torch.stack([torch.where(outside, b, b + yi * width + xi)
                        for yi, xi, _, _ in corners], -1).reshape(-1)
    vals = torch.stack([(wy * wx).masked_fill(outside, 0.0)
                        for _, _, wy, wx in corners], -1).reshape(-1)
    return cols, vals


def _apply(feat: Tensor, pieces: List[Tuple[Tensor, Tensor, Tensor, int]], out: Tensor) -> None:
    """Write ``W @ feat / samples`` into ``out`` for the RoIs of ``pieces``.

    Args:
        feat: ``(B * H * W, C)`` features in the compute dtype.
        pieces: ``(roi_index, cols, vals, samples_per_bin)`` per RoI group.
        out: ``(R, out_h, out_w, C)``, written at ``roi_index`` rows.
    """
    bins = out.size(1) * out.size(2)
    row_nnz = torch.cat([torch.full((idx.numel() * bins,), 4 * s, dtype=torch.long)
                         for idx, _, _, s in pieces])
    count = torch.cat([torch.full((idx.numel() * bins,), float(s), dtype=feat.dtype)
                       for idx, _, _, s in pieces])
    crow = torch.cat([row_nnz.new_zeros(1), row_nnz.cumsum(0)])
    with warnings.catch_warnings():  # "sparse CSR support is in beta": used as documented
        warnings.simplefilter('ignore', UserWarning)
        weights = torch.sparse_csr_tensor(
            crow, torch.cat([c for _, c, _, _ in pieces]),
            torch.cat([v for _, _, v, _ in pieces]),
            size=(crow.numel() - 1, feat.size(0)), dtype=feat.dtype,
            check_invariants=False)  # sorted and in range by construction (_axis)
    pooled = (weights @ feat) / count[:, None]
    index = torch.cat([idx for idx, _, _, _ in pieces])
    out[index] = pooled.view(-1, out.size(1), out.size(2), out.size(3)).to(out.dtype)


def roi_align(input: Tensor, rois: Tensor, output_size: Union[int, Tuple[int, int]],
              spatial_scale: float = 1.0, sampling_ratio: int = 0,
              aligned: bool = True) -> Tensor:
    """Average RoIAlign with mmcv's semantics (``pool_mode='avg'``).

    Every output bin is a weighted sum of feature pixels: its samples' bilinear
    weights (mmcv's, exactly) divided by the sample count. All bins of all RoIs
    form one sparse ``(R * out_h * out_w, B * H * W)`` matrix, applied to the
    channels-last features with one multithreaded sparse-dense product. See the
    module docstring for what invalid RoIs and half precision give.

    Args:
        input: ``(B, C, H, W)`` features (any memory format; fp32, fp64, fp16, bf16).
        rois: ``(R, 5)`` boxes ``(batch_index, x1, y1, x2, y2)`` in image pixels.
        output_size: ``(out_h, out_w)`` or one int.
        spatial_scale: 1 / stride of ``input``.
        sampling_ratio: Samples per bin side; 0 means ``ceil(roi_size / out_size)``.
        aligned: Shift by half a pixel (Detectron2's ``aligned=True``, mmdet's default).

    Returns:
        ``(R, C, out_h, out_w)`` in ``input.dtype``; equal to mmcv's up to float
        rounding of the sum order (max abs difference ~1e-6 for unit-scale features).

    Raises:
        ValueError: for the invalid RoIs listed in the module docstring.
    """
    out_h, out_w = (output_size, output_size) if isinstance(output_size, int) else output_size
    batch, channels, height, width = input.shape
    check_rois(rois, batch, 'roi_align')
    rois = rois.detach()  # as mmcv: no gradient flows to the boxes
    if rois.size(0) == 0 or height == 0 or width == 0:
        return zeros_like_pooled(input, (rois.size(0), channels, out_h, out_w))
    out = input.new_zeros(rois.size(0), out_h, out_w, channels)
    dtype = torch.float32 if input.dtype in (torch.float16, torch.bfloat16) else input.dtype
    rois = rois.to(dtype)
    offset = 0.5 if aligned else 0.0
    x1 = rois[:, 1] * spatial_scale - offset
    y1 = rois[:, 2] * spatial_scale - offset
    roi_w = (rois[:, 3] * spatial_scale - offset) - x1
    roi_h = (rois[:, 4] * spatial_scale - offset) - y1
    if aligned:
        refuse('roi_align', rois, (roi_w < 0) | (roi_h < 0),
               'has x2 < x1 or y2 < y1, which aligned RoIAlign rejects (as mmcv)')
    else:
        roi_w, roi_h = roi_w.clamp(min=1.0), roi_h.clamp(min=1.0)
    refuse('roi_align', rois, ~(torch.isfinite(roi_w) & torch.isfinite(roi_h)),
           f'overflows {dtype} once scaled')
    bin_w, bin_h = roi_w / out_w, roi_h / out_h
    if sampling_ratio > 0:
        grid_h = grid_w = torch.full_like(roi_h, sampling_ratio)
    else:
        grid_h, grid_w = torch.ceil(roi_h / out_h), torch.ceil(roi_w / out_w)
    per_roi = grid_h.double() * grid_w.double() * (4 * out_h * out_w)
    refuse('roi_align', rois, per_roi > _NNZ_BUDGET,
           f'needs more than {_NNZ_BUDGET} interpolation taps (sampling_ratio='
           f'{sampling_ratio}); clip boxes to the image or set sampling_ratio > 0')
    grid = torch.stack([grid_h, grid_w], 1).long()
    base = rois[:, 0].long() * (height * width)
    # (B*H*W, C): a view when ``input`` is channels-last float32/64, one copy otherwise.
    feat = input.permute(0, 2, 3, 1).reshape(batch * height * width, channels).to(dtype)
    shapes, group = torch.unique(grid, dim=0, return_inverse=True)
    pieces, nnz = [], 0
    for g, (gh, gw) in enumerate(shapes.tolist()):
        if gh == 0 or gw == 0:  # a zero-size RoI samples nothing: 0, as mmcv
            continue
        taps = 4 * gh * gw * out_h * out_w
        for idx in torch.nonzero(group == g).squeeze(1).split(max(_NNZ_BUDGET // taps, 1)):
            if pieces and nnz + idx.numel() * taps > _NNZ_BUDGET:
                _apply(feat, pieces, out)
                pieces, nnz = [], 0
            cols, vals = _bin_weights(x1[idx], y1[idx], bin_w[idx], bin_h[idx], base[idx],
                                      (gh, gw), (out_h, out_w), (height, width))
            pieces.append((idx, cols, vals, gh * gw))
            nnz += idx.numel() * taps
    if pieces:
        _apply(feat, pieces, out)
    if not out.requires_grad and input.requires_grad:  # every RoI had zero area
        return zeros_like_pooled(input, (rois.size(0), channels, out_h, out_w))
    return out.permute(0, 3, 1, 2)


class RoIAlign(mmcv_ops.RoIAlign):
    """mmcv's ``RoIAlign``; on the CPU in average mode, :func:`roi_align`.

    On the CPU :func:`roi_align` runs for inference and for training: autograd's
    backward of the sparse product (a transposed sparse-dense product on all
    cores) gives mmcv's gradient (tested within 1e-5) in a fraction of mmcv's time
    (``docs/training_speed.md``).
    RoIs get no gradient, as in mmcv. mmcv's kernel runs on other devices, in max
    mode, and under ``torch.jit.trace`` / ONNX export (where mmcv's op and its
    symbolic are what an exporter expects, and a traced sparse product would bake
    in the traced RoI count).

    Paper: Sec. 4.2 uses RoI pooling; RoIAlign (Mask R-CNN) is mmdet's and
    detectron2's choice, see :class:`mmfpn.models.PaperRoIExtractor`.
    """

    def forward(self, input: Tensor, rois: Tensor) -> Tensor:
        """``(B, C, H, W)``, ``(R, 5)`` -> ``(R, C, out_h, out_w)``."""
        if (input.device.type != 'cpu' or self.pool_mode != 'avg' or self.use_torchvision
                or torch.jit.is_tracing()):
            # mmcv 2.1 reads the input's memory as NCHW whatever its strides, so a
            # channels-last map must be made contiguous first.
            return super().forward(input.contiguous(), rois)
        return roi_align(input, rois, self.output_size, self.spatial_scale,
                         self.sampling_ratio, self.aligned)
