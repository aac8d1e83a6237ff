"""Each paper component as its stock mmdet twin and back, where they compute the same.

One home for the argument conversions that export (paper -> stock,
:mod:`mmfpn.deploy.mmdet_export`) and adopt (stock -> paper,
:mod:`mmfpn.config.adopt`) share:

* ``PaperFPN`` <-> ``FPN``: the same arguments; the paper's ablation switches have
  no stock twin, mmdet's ``no_norm_on_lateral`` no paper one.
* ``PaperAnchorGenerator`` <-> ``AnchorGenerator``: per-level anchor sizes
  (``sqrt(area)``, Sec. 4.1) <-> ``base_sizes`` x ``scales`` (or
  ``octave_base_scale`` and ``scales_per_octave``). A conversion is kept only when
  the two generators' base anchors are equal bit for bit.
* ``PaperRoIExtractor`` <-> ``SingleRoIExtractor``: Eq. (1)'s canonical scale
  <-> mmdet's ``finest_scale`` (the canonical scale two octaves down for stride 4).

A conversion that would change what the model computes raises :class:`NotEquivalent`
with the reason.
"""
import inspect
import math
from typing import Callable, Dict, List, Sequence

import torch
from mmdet.models.necks import FPN
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from mmdet.models.task_modules.prior_generators import AnchorGenerator

from mmfpn.config.registered import type_name
from mmfpn.models.necks.paper_fpn import PAPER_INIT, PaperFPN
from mmfpn.models.roi_extractors.paper_roi_extractor import (CANONICAL_LEVEL,
                                                             CANONICAL_SCALE,
                                                             PaperRoIExtractor, finest_scale)
from mmfpn.models.task_modules.paper_anchor_generator import PaperAnchorGenerator


def _arguments(cls: type) -> List[str]:
    """The arguments ``cls`` takes (its ``__init__``'s, without ``self``)."""
    return [p for p in inspect.signature(cls.__init__).parameters if p != 'self']


def _default(cls: type, argument: str):
    return inspect.signature(cls.__init__).parameters[argument].default


#: mmdet's ``FPN`` init when the config names none (Xavier, uniform).
STOCK_FPN_INIT = _default(FPN, 'init_cfg')
#: mmdet's ``SingleRoIExtractor`` default: Eq. (1) with 224 and k0 = 4 for stride 4 (56).
STOCK_FINEST_SCALE = _default(SingleRoIExtractor, 'finest_scale')
#: The ablation switches of PaperFPN at their paper values (Table 1 rows (d)-(f)).
PAPER_FPN_SWITCHES = {k: _default(PaperFPN, k) for k in ('top_down', 'lateral', 'finest_only')}
#: RoI ops that PaperRoIExtractor runs with mmfpn's kernels (mmcv's on accelerators).
PAPER_ROI_OPS = ('RoIAlign', 'RoIPool')


class NotEquivalent(ValueError):
    """A component whose twin would compute something else; the message says what."""


def _unknown(node: dict, known: Sequence[str], owner: str) -> None:
    extra = sorted(set(node) - set(known) - {'type'})
    if extra:
        raise NotEquivalent(f'{owner} argument {extra[0]}={node[extra[0]]!r} has no '
                            'counterpart in the other module')


def _number(x: float) -> float:
    """``x``, as an int when it is one (configs read ``32``, not ``32.0``)."""
    return int(x) if float(x).is_integer() else float(x)


# ---------------------------------------------------------------------------- FPN

def fpn_from_stock(node: dict) -> dict:
    """``FPN`` -> ``PaperFPN`` with the same arguments and mmdet's init.

    Example:
        >>> fpn_from_stock(dict(type='FPN', in_channels=[8, 16], out_channels=4, num_outs=3))
        {'in_channels': [8, 16], 'out_channels': 4, 'num_outs': 3, 'type': 'PaperFPN', \
'init_cfg': {'type': 'Xavier', 'layer': 'Conv2d', 'distribution': 'uniform'}}
    """
    _unknown(node, _arguments(FPN), 'FPN')
    if node.get('no_norm_on_lateral', False):
        raise NotEquivalent('FPN(no_norm_on_lateral=True) leaves the lateral convs without '
                            'the norm the other convs have; PaperFPN normalises every conv '
                            'alike')
    out = {k: v for k, v in node.items() if k not in ('type', 'no_norm_on_lateral')}
    out['type'] = 'PaperFPN'
    out.setdefault('init_cfg', dict(STOCK_FPN_INIT))
    return out


def fpn_to_stock(node: dict) -> dict:
    """``PaperFPN`` -> ``FPN``; refuses the paper's ablation switches.

    Example:
        >>> fpn_to_stock(dict(type='PaperFPN', in_channels=[8, 16], lateral=False))
        Traceback (most recent call last):
        ...
        mmfpn.config.stock.NotEquivalent: PaperFPN(lateral=False) is a paper ablation that mmdet's FPN cannot express
    """
    _unknown(node, _arguments(PaperFPN), 'PaperFPN')
    for switch, paper in PAPER_FPN_SWITCHES.items():
        if node.get(switch, paper) != paper:
            raise NotEquivalent(f'PaperFPN({switch}={node[switch]!r}) is a paper ablation '
                                "that mmdet's FPN cannot express")
    out = {k: v for k, v in node.items() if k not in PAPER_FPN_SWITCHES and k != 'type'}
    out['type'] = 'FPN'
    out.setdefault('out_channels', 256)
    out.setdefault('num_outs', 5)
    init = out.setdefault('init_cfg', dict(PAPER_INIT))
    if init == STOCK_FPN_INIT:
        del out['init_cfg']
    return out


# ------------------------------------------------------------------------ anchors

def _same_anchors(stock: dict, paper: dict) -> bool:
    a = AnchorGenerator(**{k: v for k, v in stock.items() if k != 'type'})
    b = PaperAnchorGenerator(**{k: v for k, v in paper.items() if k != 'type'})
    return (a.strides == b.strides and len(a.base_anchors) == len(b.base_anchors)
            and all(torch.equal(x, y) for x, y in zip(a.base_anchors, b.base_anchors)))


def anchors_from_stock(node: dict) -> dict:
    """``AnchorGenerator`` -> ``PaperAnchorGenerator``: anchor size = base size x scale.

    Example:
        >>> anchors_from_stock(dict(type='AnchorGenerator', strides=[4, 8, 16, 32, 64],
        ...                         ratios=[0.5, 1.0, 2.0], scales=[8]))
        {'type': 'PaperAnchorGenerator', 'anchor_sizes': [32, 64, 128, 256, 512], \
'strides': [4, 8, 16, 32, 64], 'ratios': [0.5, 1.0, 2.0]}
    """
    _unknown(node, _arguments(AnchorGenerator), 'AnchorGenerator')
    for key, paper, why in (
            ('centers', None, 'explicit anchor centres'),
            ('center_offset', 0.0, "centres off the cell's corner"),
            ('scale_major', True, 'scale-major anchor order'),
            ('use_box_type', False, 'box-type anchors')):
        if node.get(key, paper) != paper:
            raise NotEquivalent(f'AnchorGenerator({key}={node[key]!r}): {why}; the paper '
                                "generator places each level's anchors at the cell corner, "
                                'ratio-major (Sec. 4.1)')
    strides = []
    for s in node['strides']:
        if isinstance(s, (list, tuple)):
            if s[0] != s[1]:
                raise NotEquivalent(f'AnchorGenerator(strides=[..., {list(s)}, ...]): '
                                    'non-square strides; the pyramid levels are square grids')
            s = s[0]
        strides.append(s)
    try:
        stock = AnchorGenerator(**{k: v for k, v in node.items() if k != 'type'})
    except (AssertionError, TypeError, ValueError) as err:
        raise NotEquivalent(f'AnchorGenerator({node}) cannot be built by mmdet either: '
                            f'{err!r}') from err
    scales = [float(s) for s in stock.scales]
    sizes = [[_number(base * s) for s in scales] for base in stock.base_sizes]
    out = dict(type='PaperAnchorGenerator',
               anchor_sizes=[level[0] if len(level) == 1 else level for level in sizes],
               strides=strides, ratios=list(node['ratios']))
    if not _same_anchors(node, out):
        raise NotEquivalent(f'AnchorGenerator with base sizes {stock.base_sizes} and scales '
                            f'{scales}: base size x scale rounds differently from the '
                            'product written as one anchor size; the anchors would differ '
                            'in the last bit')
    return out


def _octave_form(scales: Sequence[float]) -> Dict[str, float]:
    """``octave_base_scale`` / ``scales_per_octave`` if ``scales`` are mmdet's octave
    scales (``base * 2^(i/n)`` in float32), else ``{}``."""
    n = len(scales)
    if n < 2:
        return {}
    base = scales[0]
    octave = [float(torch.tensor(base * 2**(i / n), dtype=torch.float32)) for i in range(n)]
    return dict(octave_base_scale=_number(base), scales_per_octave=n) if octave == list(
        scales) else {}


def anchors_to_stock(node: dict) -> dict:
    """``PaperAnchorGenerator`` -> ``AnchorGenerator`` with equal base anchors.

    Written as mmdet's configs write it: ``scales`` relative to the strides (or
    ``octave_base_scale`` / ``scales_per_octave``), ``base_sizes`` only where the
    sizes are not the same multiples of every stride.

    Example:
        >>> anchors_to_stock(dict(type='PaperAnchorGenerator'))
        {'type': 'AnchorGenerator', 'strides': [4, 8, 16, 32, 64], 'ratios': [0.5, 1.0, 2.0], \
'scales': [8]}
    """
    _unknown(node, _arguments(PaperAnchorGenerator), 'PaperAnchorGenerator')
    if node.get('mode', 'mmdet') != 'mmdet':
        raise NotEquivalent(f"PaperAnchorGenerator(mode={node['mode']!r}): Detectron's "
                            'rounded anchors have no mmdet equivalent')
    generator = PaperAnchorGenerator(**{k: v for k, v in node.items() if k != 'type'})
    sizes = generator.anchor_sizes  # a list of sizes per level
    strides = [s for s, _ in generator.strides]
    ratios = list(node.get('ratios', _default(PaperAnchorGenerator, 'ratios')))
    paper = dict(anchor_sizes=sizes, strides=strides, ratios=ratios)
    spellings = []
    per_stride = [[s / stride for s in level] for level, stride in zip(sizes, strides)]
    if all(level == per_stride[0] for level in per_stride):
        scales = [_number(s) for s in per_stride[0]]
        spellings.append(_octave_form(scales) or dict(scales=scales))
    per_first = [[s / level[0] for s in level] for level in sizes]
    if all(level == per_first[0] for level in per_first):
        spellings.append(dict(base_sizes=[_number(level[0]) for level in sizes],
                              scales=[_number(s) for s in per_first[0]]))
    for spelling in spellings:
        out = dict(type='AnchorGenerator', strides=strides, ratios=ratios, **spelling)
        if _same_anchors(out, paper):
            return out
    raise NotEquivalent(f'PaperAnchorGenerator(anchor_sizes={sizes}): no mmdet '
                        'AnchorGenerator (one list of scales shared by all levels) gives '
                        'these anchors bit for bit')


# ----------------------------------------------------------------- RoI extractor

def _doubling(strides: Sequence[int]) -> bool:
    return (all(isinstance(s, int) and s > 0 and s & (s - 1) == 0 for s in strides)
            and all(b == 2 * a for a, b in zip(strides, strides[1:])))


def roi_extractor_from_stock(node: dict) -> dict:
    """``SingleRoIExtractor`` -> ``PaperRoIExtractor``: ``finest_scale`` to Eq. (1)'s
    canonical scale, ``finest_scale * 2^(k0 - log2(stride_0))``.

    Example:
        >>> roi_extractor_from_stock(dict(type='SingleRoIExtractor', out_channels=256,
        ...     roi_layer=dict(type='RoIAlign', output_size=7), featmap_strides=[8, 16]))
        {'out_channels': 256, 'roi_layer': {'type': 'RoIAlign', 'output_size': 7}, \
'featmap_strides': [8, 16], 'type': 'PaperRoIExtractor', 'canonical_scale': 112}
    """
    _unknown(node, _arguments(SingleRoIExtractor), 'SingleRoIExtractor')
    layer = type_name((node.get('roi_layer') or {}).get('type'))
    if layer not in PAPER_ROI_OPS:
        raise NotEquivalent(f'SingleRoIExtractor(roi_layer={layer}): PaperRoIExtractor '
                            f'pools with {" or ".join(PAPER_ROI_OPS)} (mmfpn\'s CPU kernels); '
                            'other ops stay stock')
    strides = list(node['featmap_strides'])
    if not _doubling(strides):
        raise NotEquivalent(f'SingleRoIExtractor(featmap_strides={strides}): Eq. (1) maps '
                            'RoIs to pyramid levels whose strides are powers of two, doubling '
                            'from level to level')
    finest = node.get('finest_scale', STOCK_FINEST_SCALE)
    finest_level = int(math.log2(strides[0]))
    canonical = _number(finest * 2.0**(CANONICAL_LEVEL - finest_level))
    if finest_scale(finest_level, canonical) != finest:
        raise NotEquivalent(f'SingleRoIExtractor(finest_scale={finest!r}) is not exactly '
                            "a power-of-two multiple of a canonical scale")
    out = {k: v for k, v in node.items() if k not in ('type', 'finest_scale')}
    out['type'] = 'PaperRoIExtractor'
    if canonical != CANONICAL_SCALE:
        out['canonical_scale'] = canonical
    return out


def roi_extractor_to_stock(node: dict) -> dict:
    """``PaperRoIExtractor`` -> ``SingleRoIExtractor`` with Eq. (1)'s ``finest_scale``.

    Example:
        >>> roi_extractor_to_stock(dict(type='PaperRoIExtractor', out_channels=256,
        ...     roi_layer=dict(type='RoIAlign', output_size=7), featmap_strides=[4, 8],
        ...     canonical_scale=112))
        {'out_channels': 256, 'roi_layer': {'type': 'RoIAlign', 'output_size': 7}, \
'featmap_strides': [4, 8], 'type': 'SingleRoIExtractor', 'finest_scale': 28}
    """
    _unknown(node, _arguments(PaperRoIExtractor), 'PaperRoIExtractor')
    if node['roi_layer'].get('round_rois'):
        raise NotEquivalent("PaperRoIExtractor(roi_layer=dict(type='RoIPool', "
                            "round_rois=True)): the paper's grid-rounded RoI pooling has no "
                            "mmcv equivalent (mmcv's RoIPool uses sub-pixel bins). Train with "
                            'round_rois=False or RoIAlign to publish for stock mmdet')
    strides = list(node['featmap_strides'])
    finest = _number(finest_scale(int(math.log2(strides[0])),
                                  node.get('canonical_scale', CANONICAL_SCALE),
                                  node.get('canonical_level', CANONICAL_LEVEL)))
    out = {k: v for k, v in node.items()
           if k not in ('type', 'canonical_scale', 'canonical_level')}
    out['type'] = 'SingleRoIExtractor'
    if finest != STOCK_FINEST_SCALE:
        out['finest_scale'] = finest
    return out


#: Stock type -> (paper type, conversion); used by adopt.
FROM_STOCK: Dict[str, Callable[[dict], dict]] = {
    'FPN': fpn_from_stock, 'AnchorGenerator': anchors_from_stock,
    'SingleRoIExtractor': roi_extractor_from_stock}
#: Paper type -> conversion to its stock twin; used by export.
TO_STOCK: Dict[str, Callable[[dict], dict]] = {
    'PaperFPN': fpn_to_stock, 'PaperAnchorGenerator': anchors_to_stock,
    'PaperRoIExtractor': roi_extractor_to_stock}
