"""Which config types are mmfpn's: read from mmdet's and mmengine's registries.

The one list of mmfpn's types. It is never written by hand: every class that
``import mmfpn`` registers in a registry of mmdet or mmengine is on it, so a new
component is known to export, config loading and the docs as soon as it exists.
"""
from typing import Dict, NamedTuple

import mmdet.registry
import mmengine.registry
from mmengine.registry import Registry


class RegisteredType(NamedTuple):
    """One class that mmfpn registers."""
    name: str       # the config's ``type``, e.g. ``'PaperFPN'``
    registry: str   # e.g. ``'model'``, ``'task util'``, ``'hook'``
    scope: str      # ``'mmdet'`` or ``'mmengine'``
    module: str     # where the class lives, e.g. ``'mmfpn.models.necks.paper_fpn'``
    cls: type       # the class itself


def mmfpn_types() -> Dict[str, RegisteredType]:
    """Every type registered by ``import mmfpn``, by name.

    Example:
        >>> types = mmfpn_types()
        >>> types['PaperFPN'].registry, types['PaperAnchorGenerator'].registry
        ('model', 'task util')
    """
    found = {}  # importing this module imported the package, which registered all
    for module in (mmdet.registry, mmengine.registry):
        for registry in vars(module).values():
            if not isinstance(registry, Registry):
                continue
            for name, cls in registry.module_dict.items():
                where = getattr(cls, '__module__', '')
                if where == 'mmfpn' or where.startswith('mmfpn.'):
                    found[name] = RegisteredType(name, registry.name, registry.scope, where, cls)
    return dict(sorted(found.items()))


def type_name(value: object) -> str:
    """A config's ``type`` without its scope prefix: ``'mmdet.FPN'`` -> ``'FPN'``;
    a class given as the type -> its name; anything else -> ``''``.

    Example:
        >>> type_name('mmdet.FPN'), type_name('PaperFPN'), type_name(None)
        ('FPN', 'PaperFPN', '')
    """
    if isinstance(value, type):
        return value.__name__
    return value.rsplit('.', 1)[-1] if isinstance(value, str) else ''
