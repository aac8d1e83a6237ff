"""Anchors of the FPN paper: one area per pyramid level, three aspect ratios.

Paper: Sec. 4.1 ("Feature Pyramid Networks for RPN").
"""
import math
from typing import List, Sequence

import torch
from mmdet.models.task_modules.prior_generators import AnchorGenerator
from mmdet.registry import TASK_UTILS
from torch import Tensor

#: Sec. 4.1: "anchors to have areas of {32^2, 64^2, 128^2, 256^2, 512^2} pixels
#: on {P2, P3, P4, P5, P6} respectively". Sizes are the square roots of the areas.
PAPER_ANCHOR_SIZES = (32, 64, 128, 256, 512)
#: Sec. 4.1: "anchors of multiple aspect ratios {1:2, 1:1, 2:1} at each level"
#: (height / width, as mmdet and Detectron read them).
PAPER_ASPECT_RATIOS = (0.5, 1.0, 2.0)
#: Strides of P2..P6 (Sec. 3: P_k has stride 2^k).
PAPER_STRIDES = (4, 8, 16, 32, 64)
MODES = ('mmdet', 'detectron')


def detectron_cell_anchors(stride: int, size: float,
                           aspect_ratios: Sequence[float]) -> Tensor:
    """Anchors of one cell exactly as Detectron's Caffe2 ``generate_anchors``.

    The reference box is ``[0, 0, stride - 1, stride - 1]`` in Detectron's
    inclusive "+1" convention (width = x2 - x1 + 1, centre ``(stride - 1) / 2``).
    For each ratio the area ``stride^2`` is kept and the width and height are
    *rounded to integers* (``ws = round(sqrt(stride^2 / r))``, ``hs = round(ws * r)``),
    then both are multiplied by ``size / stride``. The rounding makes the areas
    differ from ``size^2`` (e.g. 48x24 instead of 45.25x22.6 at P2, ratio 1:2).

    Args:
        stride: Stride of the level (4 for P2).
        size: Square root of the anchor area on the level (32 for P2).
        aspect_ratios: Height / width ratios.

    Returns:
        ``(len(aspect_ratios), 4)`` float32 boxes ``(x1, y1, x2, y2)``, inclusive.
    """
    base = float(stride)
    centre = 0.5 * (base - 1)
    boxes = []
    for ratio in aspect_ratios:
        # Python's round() and numpy's np.round() both round half to even.
        ws = round(math.sqrt(base * base / ratio))
        hs = round(ws * ratio)
        ws, hs = ws * (size / base), hs * (size / base)
        boxes.append([centre - 0.5 * (ws - 1), centre - 0.5 * (hs - 1),
                      centre + 0.5 * (ws - 1), centre + 0.5 * (hs - 1)])
    return torch.tensor(boxes, dtype=torch.float32)


@TASK_UTILS.register_module()
class PaperAnchorGenerator(AnchorGenerator):
    """One anchor area per level and 3 ratios: 15 anchors over P2..P6.

    Paper: Sec. 4.1: areas {32^2, 64^2, 128^2, 256^2, 512^2} on {P2..P6},
    aspect ratios {1:2, 1:1, 2:1}.

    ``mode='mmdet'`` (default) gives anchors identical to mmdet's
    ``AnchorGenerator(strides=[4, 8, 16, 32, 64], ratios=[0.5, 1.0, 2.0],
    scales=[8])``: centred on the cell's top-left corner, real-valued widths
    ``size / sqrt(r)`` and heights ``size * sqrt(r)``. ``mode='detectron'``
    reproduces Detectron's (the paper's code base) Caffe2 ``generate_anchors``
    bit for bit, its integer rounding and "+1" box convention included (see
    :func:`detectron_cell_anchors`); mmdet's ``LegacyAnchorGenerator`` does not.

    Args:
        anchor_sizes: Square root of the anchor area on each level, finest first.
            Several sizes per level are given as a nested sequence (Table 1(f)
            puts all five on P2).
        strides: Stride of each level, finest first.
        ratios: Aspect ratios (height / width).
        mode: ``'mmdet'`` or ``'detectron'``.

    Example:
        >>> gen = PaperAnchorGenerator()
        >>> gen.num_base_priors
        [3, 3, 3, 3, 3]
        >>> gen.grid_priors([(2, 2)] * 5, device='cpu')[0].shape
        torch.Size([12, 4])
    """

    def __init__(self,
                 anchor_sizes: Sequence = PAPER_ANCHOR_SIZES,
                 strides: Sequence[int] = PAPER_STRIDES,
                 ratios: Sequence[float] = PAPER_ASPECT_RATIOS,
                 mode: str = 'mmdet') -> None:
        if mode not in MODES:
            raise ValueError(f'PaperAnchorGenerator: unknown mode={mode!r}; use one of {MODES}')
        sizes = [list(s) if isinstance(s, Sequence) else [s] for s in anchor_sizes]
        if len(sizes) != len(strides):
            raise ValueError('PaperAnchorGenerator: one anchor size (or list of sizes) '
                             f'per level is needed: got anchor_sizes={list(anchor_sizes)} '
                             f'for strides={list(strides)}')
        if len({len(s) for s in sizes}) != 1:
            raise ValueError('PaperAnchorGenerator: every level needs the same number '
                             f'of anchor sizes, got {list(anchor_sizes)}')
        if not ratios or any(r <= 0 for r in ratios):
            raise ValueError(f'PaperAnchorGenerator: ratios must be positive, got {list(ratios)}')
        self.anchor_sizes = sizes
        self.mode = mode
        # mmdet reads an anchor as base_size * scale: with the area's square root
        # as base size the scale is 1. Multiplying by 1 instead of by 8 (and by 4
        # instead of 32) is exact, so the boxes equal mmdet's scales=[8] bit for bit.
        super().__init__(strides=list(strides), ratios=list(ratios),
                         scales=[1.0] * len(sizes[0]),
                         base_sizes=[s[0] for s in sizes])

    def gen_base_anchors(self) -> List[Tensor]:
        """Anchors of the cell at the origin of every level.

        Returns:
            One ``(num_sizes * len(ratios), 4)`` tensor per level, ratio-major.
        """
        levels = []
        for (stride, _), sizes in zip(self.strides, self.anchor_sizes):
            if self.mode == 'detectron':
                per_size = [detectron_cell_anchors(stride, s, self.ratios.tolist())
                            for s in sizes]
            else:
                per_size = [self.gen_single_level_base_anchors(
                    s, scales=torch.ones(1), ratios=self.ratios) for s in sizes]
            # Ratio-major order, as mmdet's scale_major=True and Detectron.
            levels.append(torch.stack(per_size, dim=1).reshape(-1, 4))
        return levels

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(anchor_sizes={self.anchor_sizes}, '
                f'strides={[s[0] for s in self.strides]}, '
                f'ratios={self.ratios.tolist()}, mode={self.mode!r})')
