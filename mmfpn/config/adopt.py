"""Adopt: any mmdet config with the paper's components where they compute the same.

``tools/adopt.py CONFIG --out FILE``: mmdet's ``FPN``, ``AnchorGenerator`` and
``SingleRoIExtractor`` become ``PaperFPN``, ``PaperAnchorGenerator`` and
``PaperRoIExtractor`` wherever the conversion (:mod:`mmfpn.config.stock`) is exact;
each one left stock is reported with the reason. The written config is the whole
resolved config with ``mmfpn`` imported, so the paper's switches (Table 1's
``lateral=False``, Eq. (1)'s ``canonical_scale``) are one line of a child config.
Export (:func:`mmfpn.deploy.mmdet_export.to_mmdet_config`) turns it back.
"""
import copy
from typing import Any, List, NamedTuple, Optional, Tuple

from mmengine.config import Config

from mmfpn.config.registered import type_name
from mmfpn.config.stock import FROM_STOCK, NotEquivalent

MMFPN_IMPORT = dict(imports=['mmfpn'], allow_failed_imports=False)


class Decision(NamedTuple):
    """What adopt did with one stock component."""
    path: str                  # e.g. 'model.roi_head.bbox_roi_extractor[1]'
    stock_type: str            # 'FPN', 'AnchorGenerator' or 'SingleRoIExtractor'
    paper_type: Optional[str]  # the replacement, or None where it was left stock
    reason: str = ''           # why it was left

    def __str__(self) -> str:
        if self.paper_type:
            return f'{self.path}: {self.stock_type} -> {self.paper_type}'
        return f'{self.path}: {self.stock_type} kept ({self.reason})'


def stock_type_name(value: Any) -> str:
    """The name of an mmdet type (``'FPN'``, ``'mmdet.FPN'`` or mmdet's class itself);
    ``''`` for another package's type of the same name (``'mmyolo.FPN'``).

    Example:
        >>> stock_type_name('mmdet.FPN'), stock_type_name('FPN'), stock_type_name('mmx.FPN')
        ('FPN', 'FPN', '')
    """
    if isinstance(value, type):
        return value.__name__ if value.__module__.startswith('mmdet.') else ''
    if isinstance(value, str) and ('.' not in value or value.startswith('mmdet.')):
        return type_name(value)
    return ''


def _adopt(node: Any, path: str, decisions: List[Decision]) -> Any:
    if isinstance(node, (list, tuple)):
        return type(node)(_adopt(v, f'{path}[{i}]', decisions) for i, v in enumerate(node))
    if not isinstance(node, dict):
        return node
    node = {k: _adopt(v, f'{path}.{k}', decisions) for k, v in node.items()}
    stock_type = stock_type_name(node.get('type'))
    if stock_type not in FROM_STOCK:
        return node
    try:
        paper = FROM_STOCK[stock_type](node)
    except NotEquivalent as err:
        decisions.append(Decision(path, stock_type, None, str(err)))
        return node
    decisions.append(Decision(path, stock_type, paper['type']))
    return paper


def adopt_model(model: dict) -> Tuple[dict, List[Decision]]:
    """``model`` with each stock component replaced where exact, and the decisions.

    Example:
        >>> model, said = adopt_model(dict(type='RPN', neck=dict(
        ...     type='FPN', in_channels=[8, 16], out_channels=4, num_outs=2,
        ...     no_norm_on_lateral=True, norm_cfg=dict(type='BN'))))
        >>> print(said[0])  # doctest: +ELLIPSIS
        model.neck: FPN kept (FPN(no_norm_on_lateral=True) leaves the lateral convs ...)
    """
    decisions: List[Decision] = []
    return _adopt(copy.deepcopy(model), 'model', decisions), decisions


def adopt_config(cfg: Config) -> Tuple[Config, List[Decision]]:
    """The whole config with the paper's components and ``mmfpn`` imported.

    Raises:
        ValueError: the config has no ``model``.
    """
    if 'model' not in cfg:
        raise ValueError('the config has no model to adopt; pass a detector config such as '
                         "'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'")
    out = cfg.to_dict()
    out['model'], decisions = adopt_model(out['model'])
    if any(d.paper_type for d in decisions):
        imports = dict(out.get('custom_imports') or MMFPN_IMPORT)
        if 'mmfpn' not in imports['imports']:
            imports['imports'] = [*imports['imports'], 'mmfpn']
        out['custom_imports'] = imports
    return Config(out), decisions


def adopt_file(cfg: Config, out_file: str) -> List[Decision]:
    """Write the adopted ``cfg`` to ``out_file``; returns the decisions."""
    adopted, decisions = adopt_config(cfg)
    adopted.dump(out_file)
    return decisions
