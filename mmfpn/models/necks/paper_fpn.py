"""The Feature Pyramid Network neck of Lin et al. (2017).

Paper: Sec. 3 ("Feature Pyramid Networks"), Fig. 3; P6 from Sec. 4.1.
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmfpn.models.shape_spec import ShapeSpec

#: Sec. 3: "we set d = 256 in this paper and thus all extra convolutional layers
#: have 256-channel outputs".
PAPER_CHANNELS = 256
EXTRA_CONV_SOURCES = ('on_input', 'on_lateral', 'on_output')
#: Weight init of the neck's convs: Detectron's (the paper's code base).
PAPER_INIT = dict(type='Caffe2Xavier', layer='Conv2d')


def _exporting() -> bool:
    """Whether the forward is being traced (``torch.jit.trace``, ``torch.export``)."""
    return torch.jit.is_tracing() or torch.compiler.is_exporting()


@MODELS.register_module()
class PaperFPN(BaseModule):
    """Feature pyramid built from a backbone's C2..C5 (paper Sec. 3, Fig. 3).

    Paper: Sec. 3 (top-down pathway and lateral connections); Sec. 4.1 (P6).

    The top-down pathway starts from a 1x1 conv on the coarsest input, upsamples
    each merged map x2 with nearest-neighbour interpolation *to the exact size of
    the next lateral* (so odd input sizes work), adds the 1x1 lateral conv of
    ``C_k`` element-wise, and smooths each merged map with a 3x3 conv into ``P_k``.
    There are no non-linearities. P6, used by the RPN only, is a stride-2
    subsampling of P5.

    In the paper configuration the module has exactly the state_dict keys of
    mmdet's ``FPN(add_extra_convs=False)`` (``lateral_convs.i.conv.*``,
    ``fpn_convs.i.conv.*``) and, with identical weights, identical outputs.

    Ablation switches (Table 1 and Table 2 rows):

    * ``top_down=False``: (d) "bottom-up pyramid": ``P_k = conv3x3(conv1x1(C_k))``.
    * ``lateral=False``: (e) "top-down, no lateral": only the top 1x1 conv exists
      and every merged map is an upsampled copy of it.
    * ``finest_only=True``: (f) "only finest level": return ``(P2,)`` alone.

    Args:
        in_channels: Channels of each input map, finest first,
            e.g. ``[256, 512, 1024, 2048]`` for ResNet-50 C2..C5.
        out_channels: ``d`` in the paper. Defaults to 256.
        num_outs: Number of returned maps. 5 for P2..P6 (paper RPN).
        start_level: Index of the first input used. Defaults to 0 (C2).
        end_level: Index of the last input used, -1 for the last one. When not
            the last, no extra level may be added (``num_outs`` must equal the
            number of used inputs).
        add_extra_convs: ``False`` (paper): levels above the last input are
            stride-2 subsamplings. ``'on_input'``, ``'on_lateral'`` or
            ``'on_output'`` (``True`` means ``'on_input'``): RetinaNet-style 3x3
            stride-2 convs from C5, its lateral, or P5. Deviation from the FPN
            paper, for RetinaNet-style detectors; ``False`` restores the paper.
        relu_before_extra_convs: ReLU before every extra conv after the first
            (RetinaNet's P7 = conv(ReLU(P6))).
        top_down: Keep the top-down pathway (paper). ``False``: Table 1(d).
        lateral: Keep the lateral connections (paper). ``False``: Table 1(e).
        finest_only: Return only the finest map P2. Table 1(f); requires
            ``num_outs=1``.
        conv_cfg: Conv config for :class:`mmcv.cnn.ConvModule`.
        norm_cfg: Norm config. ``None`` in the paper (no normalisation).
        act_cfg: Activation config. ``None`` in the paper: "there are no
            non-linearities in these extra layers" (Sec. 3).
        upsample_cfg: Kwargs of ``F.interpolate``; ``mode='nearest'`` is the
            paper's. A ``scale_factor`` replaces the size-matched upsampling.
        init_cfg: Weight init. ``Caffe2Xavier`` as in Detectron (the paper's
            code base); mmdet's ``FPN`` uses ``Xavier`` (uniform).

    Example:
        >>> import torch
        >>> fpn = PaperFPN([64, 128, 256, 512], 256, num_outs=5)
        >>> feats = [torch.rand(1, c, 65 // 2**i, 81 // 2**i)
        ...          for i, c in enumerate([64, 128, 256, 512])]
        >>> [tuple(p.shape[2:]) for p in fpn(feats)]
        [(65, 81), (32, 40), (16, 20), (8, 10), (4, 5)]
    """

    def __init__(self,
                 in_channels: List[int],
                 out_channels: int = PAPER_CHANNELS,
                 num_outs: int = 5,
                 start_level: int = 0,
                 end_level: int = -1,
                 add_extra_convs: Union[bool, str] = False,
                 relu_before_extra_convs: bool = False,
                 top_down: bool = True,
                 lateral: bool = True,
                 finest_only: bool = False,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None,
                 upsample_cfg: Optional[dict] = None,
                 init_cfg: Union[dict, List[dict], None] = PAPER_INIT) -> None:
        super().__init__(init_cfg=init_cfg)
        if (not isinstance(in_channels, Sequence) or not in_channels
                or not all(isinstance(c, int) and c > 0 for c in in_channels)):
            raise ValueError('PaperFPN: in_channels must be a non-empty list of '
                             'positive ints, one per backbone level (e.g. '
                             f'[256, 512, 1024, 2048] for ResNet-50), got {in_channels!r}')
        num_ins = len(in_channels)
        if not 0 <= start_level < num_ins:
            raise ValueError(f'PaperFPN: start_level={start_level} is not a valid '
                             f'index into in_channels of length {num_ins}')
        backbone_end = num_ins if end_level in (-1, num_ins - 1) else end_level + 1
        if not start_level < backbone_end <= num_ins:
            raise ValueError(f'PaperFPN: end_level={end_level} must be -1 or in '
                             f'[{start_level}, {num_ins - 1}]')
        num_used = backbone_end - start_level
        if finest_only:
            if num_outs != 1:
                raise ValueError('PaperFPN: finest_only=True returns only P2, so '
                                 f'num_outs must be 1, got {num_outs}')
        elif backbone_end < num_ins and num_outs != num_used:
            raise ValueError(f'PaperFPN: with end_level={end_level} no extra level '
                             f'can be added: num_outs must be {num_used}, got {num_outs}')
        elif num_outs < num_used:
            raise ValueError(f'PaperFPN: num_outs={num_outs} is smaller than the '
                             f'{num_used} input levels used; raise num_outs to at '
                             f'least {num_used} or set end_level')
        if add_extra_convs is True:
            add_extra_convs = 'on_input'
        if add_extra_convs is not False and add_extra_convs not in EXTRA_CONV_SOURCES:
            raise ValueError(f'PaperFPN: unknown add_extra_convs={add_extra_convs!r}; '
                             f'use False (paper) or one of {EXTRA_CONV_SOURCES}')
        if not lateral and not top_down:
            raise ValueError('PaperFPN: lateral=False and top_down=False together '
                             'leave P2..P4 without any input; choose at most one')

        self.in_channels = list(in_channels)
        self.out_channels = out_channels
        self.num_ins = num_ins
        self.num_outs = num_outs
        self.start_level = start_level
        self.end_level = end_level
        self.backbone_end_level = backbone_end
        self.add_extra_convs = add_extra_convs
        self.relu_before_extra_convs = relu_before_extra_convs
        self.top_down = top_down
        self.lateral = lateral
        self.finest_only = finest_only
        self.upsample_cfg = dict(mode='nearest') if upsample_cfg is None else dict(upsample_cfg)
        self._inplace_merge = self.upsample_cfg == dict(mode='nearest') and act_cfg is None

        def conv(in_ch: int, kernel: int, stride: int = 1) -> ConvModule:
            return ConvModule(in_ch, out_channels, kernel, stride=stride,
                              padding=kernel // 2, conv_cfg=conv_cfg,
                              norm_cfg=norm_cfg, act_cfg=act_cfg, inplace=False)

        # Without laterals only the top 1x1 conv (on C5) starts the pathway.
        lateral_levels = range(start_level, backbone_end) if lateral else [backbone_end - 1]
        self.lateral_convs = nn.ModuleList(conv(in_channels[i], 1) for i in lateral_levels)
        # Only P2 is returned with finest_only: the other 3x3 convs would be unused.
        num_smooth = 1 if finest_only else num_used
        self.fpn_convs = nn.ModuleList(conv(out_channels, 3) for _ in range(num_smooth))
        if add_extra_convs and not finest_only:
            for i in range(num_outs - num_used):
                src = in_channels[backbone_end - 1] if (
                    i == 0 and add_extra_convs == 'on_input') else out_channels
                self.fpn_convs.append(conv(src, 3, stride=2))

    def output_shape(self, input_strides: Sequence[int]) -> List[ShapeSpec]:
        """Channels and stride of each returned map, without running the module.

        As detectron2's ``Backbone.output_shape()``: the config validation checks
        the anchor and RoI strides against it.

        Args:
            input_strides: Stride of each input map, finest first, e.g.
                ``[4, 8, 16, 32]`` for ResNet C2..C5.

        Returns:
            ``num_outs`` shapes, finest first: the used inputs' strides, then each
            extra level twice the previous one (P6 = stride 64).

        Example:
            >>> PaperFPN([64, 128, 256, 512], 256, num_outs=5).output_shape([4, 8, 16, 32])[-1]
            ShapeSpec(channels=256, stride=64)
        """
        if len(input_strides) != self.num_ins:
            raise ValueError(f'PaperFPN: {len(input_strides)} input strides for '
                             f'in_channels={self.in_channels}')
        strides = list(input_strides[self.start_level:self.backbone_end_level])
        strides = strides[:1] if self.finest_only else strides
        while len(strides) < self.num_outs:
            strides.append(2 * strides[-1])
        return [ShapeSpec(self.out_channels, s) for s in strides]

    def _upsample_to(self, x: Tensor, like: Tensor) -> Tensor:
        if 'scale_factor' in self.upsample_cfg:
            return F.interpolate(x, **self.upsample_cfg)
        return F.interpolate(x, size=like.shape[2:], **self.upsample_cfg)

    def _merge(self, lateral: Tensor, coarser: Tensor) -> Tensor:
        """``lateral + upsample(coarser)``, the top-down merge of Fig. 3.

        Args:
            lateral: ``(N, d, H, W)``, the 1x1 conv of ``C_k``.
            coarser: ``(N, d, h, w)``, the merged map of level ``k + 1``.

        Returns:
            ``(N, d, H, W)``. When ``(H, W) == (2h, 2w)`` and the upsampling is
            the paper's nearest x2, the sum is written into ``lateral`` through a
            broadcast view (each coarse pixel added to its 2x2 block): the same
            values as ``F.interpolate`` then ``+``, without allocating the
            upsampled map (the neck's largest temporary at P2). ``lateral`` must
            be a fresh conv output; with an activation in the lateral conv (not
            the paper's) autograd may need it, so the out-of-place sum is used.
            Under tracing or ``torch.export`` (ONNX, OpenVINO) the out-of-place
            sum is traced too: it keeps the sizes symbolic, where the size test
            below would be frozen for the example input's shape.
        """
        (height, width), (h, w) = lateral.shape[2:], coarser.shape[2:]
        if (self._inplace_merge and not _exporting()
                and (height, width) == (2 * h, 2 * w)
                and lateral.dtype == coarser.dtype):
            blocks = lateral.unflatten(3, (w, 2)).unflatten(2, (h, 2))
            blocks.add_(coarser[:, :, :, None, :, None])
            return lateral
        return lateral + self._upsample_to(coarser, lateral)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        """Build the pyramid.

        Args:
            inputs: ``C_k`` maps, finest first, ``(N, in_channels[i], H_i, W_i)``
                with ``H_{i+1} = ceil(H_i / 2)`` (any sizes the backbone gives).

        Returns:
            ``num_outs`` maps ``(N, out_channels, H_k, W_k)``, finest first:
            P2..P5 at the inputs' sizes, then P6.. at half the size each.
        """
        if len(inputs) != self.num_ins:
            raise ValueError(f'PaperFPN expects {self.num_ins} input maps '
                             f'(in_channels={self.in_channels}), got {len(inputs)}')
        used = inputs[self.start_level:self.backbone_end_level]
        if self.lateral:
            merged = [conv(x) for conv, x in zip(self.lateral_convs, used)]
        else:
            merged = [None] * (len(used) - 1) + [self.lateral_convs[0](used[-1])]
        if self.top_down:
            for i in range(len(used) - 1, 0, -1):
                merged[i - 1] = (self._upsample_to(merged[i], used[i - 1])
                                 if merged[i - 1] is None else self._merge(merged[i - 1], merged[i]))
        outs = [conv(m) for conv, m in zip(self.fpn_convs, merged)]
        if self.finest_only:
            return (outs[0],)
        num_used = len(used)
        if self.add_extra_convs:
            source = {'on_input': used[-1], 'on_lateral': merged[-1],
                      'on_output': outs[-1]}[self.add_extra_convs]
            for i, conv in enumerate(self.fpn_convs[num_used:]):
                if i > 0:
                    source = F.relu(outs[-1]) if self.relu_before_extra_convs else outs[-1]
                outs.append(conv(source))
        else:
            while len(outs) < self.num_outs:
                # Sec. 4.1: "P6 is simply a stride two subsampling of P5". Same
                # values as mmdet's max_pool2d(kernel_size=1, stride=2).
                outs.append(outs[-1][:, :, ::2, ::2])
        return tuple(outs)
