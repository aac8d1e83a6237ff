"""Input checks shared by mmfpn's RoI ops: what a RoI must be before any index is built.

mmfpn's RoI kernels turn RoI coordinates into gather/scatter indices. A coordinate
that is NaN or infinite (a diverging model's boxes) or a batch index outside the
feature batch would become an index outside the feature map, so such RoIs are
refused with a ``ValueError`` that names the first offending RoI and the fix,
before any memory is touched. Finite but huge coordinates are valid: they are
clipped exactly as mmcv's kernels clip them.
"""
from typing import Sequence

import torch
from torch import Tensor


def check_rois(rois: Tensor, batch_size: int, op: str) -> None:
    """Raise ``ValueError`` unless ``rois`` is ``(R, 5)``, finite, with valid batch indices.

    Args:
        rois: ``(R, 5)`` boxes ``(batch_index, x1, y1, x2, y2)``.
        batch_size: ``B`` of the ``(B, C, H, W)`` features the RoIs index.
        op: Name used in the message (``'roi_align'``).

    Example:
        >>> check_rois(torch.tensor([[0., 1, 2, 3, 4]]), 1, 'roi_align')
        >>> check_rois(torch.tensor([[1., 1, 2, 3, 4]]), 1, 'roi_align')
        Traceback (most recent call last):
        ...
        ValueError: roi_align: RoI 0 = [1.0, 1.0, 2.0, 3.0, 4.0] has a batch index outside ...
    """
    if rois.dim() != 2 or rois.size(1) != 5:
        raise ValueError(f'{op}: rois must be (R, 5) rows (batch_index, x1, y1, x2, y2), '
                         f'got shape {tuple(rois.shape)}')
    if rois.size(0) == 0:
        return
    refuse(op, rois, ~torch.isfinite(rois).all(1),
           'has a non-finite coordinate; drop or clip such boxes before pooling (a '
           'diverging model produces them: lower the learning rate or clip gradients)')
    index = rois[:, 0]
    refuse(op, rois, (index < 0) | (index >= batch_size) | (index != torch.floor(index)),
           f'has a batch index outside the {batch_size} image(s) of the features; the '
           'first column must be an integer in [0, batch_size)')


def refuse(op: str, rois: Tensor, bad: Tensor, why: str) -> None:
    """Raise ``ValueError`` naming the first RoI flagged in ``bad`` (``(R,)`` bool)."""
    if bool(bad.any()):
        i = int(torch.nonzero(bad)[0])
        raise ValueError(f'{op}: RoI {i} = {rois[i].tolist()} {why}')


def zeros_like_pooled(input: Tensor, shape: Sequence[int]) -> Tensor:
    """Zeros of ``shape`` in ``input``'s dtype with a gradient path to ``input``.

    What a RoI op returns when it samples nothing (no RoIs, an empty map, only
    zero-area RoIs): autograd gives ``input`` a zero gradient, as mmcv's and
    detectron2's kernels do, instead of "element 0 of tensors does not require
    grad". The path reads no value of ``input`` (an empty slice), so NaN or Inf
    features cannot leak into it.

    Example:
        >>> x = torch.full((1, 2, 3, 3), float('nan'), requires_grad=True)
        >>> zeros_like_pooled(x, (0, 2, 7, 7)).sum().backward()
        >>> bool((x.grad == 0).all())
        True
    """
    return input.new_zeros(shape) + input.flatten()[:0].sum()
