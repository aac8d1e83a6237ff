"""Refuse a bad model config at build time, before any data is read.

:func:`check_model_config` builds the model once and runs its backbone and neck
on a blank 256x256 input, then checks what the config claims against what the
modules do: the neck's ``in_channels`` against the backbone's real channels, the
anchor generator's strides and the RoI extractor's strides against the strides
the pyramid really has. Build errors (unknown type, misspelt argument) are turned
into messages that name the config key and close matches.
"""
import difflib
import inspect
import re
from typing import List, Optional

import torch
from mmdet.registry import MODELS, TASK_UTILS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmfpn.config.tree import walk_dicts
from mmfpn.config.load import ConfigError

PROBE_SIZE = 256


def _registered_names() -> List[str]:
    names = set()
    for registry in (MODELS, TASK_UTILS):
        while registry is not None:
            names.update(registry.module_dict)
            registry = registry.parent
    return sorted(names)


def _explain_build_error(err: Exception, model_cfg: dict) -> Optional[str]:
    text = str(err)
    unknown = re.search(r'(\S+) is not in the \S+ registry', text)
    if unknown:
        name = unknown.group(1).strip("'`")
        where = [p for p, n in walk_dicts(model_cfg, 'model') if n.get('type') == name]
        near = difflib.get_close_matches(name, _registered_names(), n=3)
        return (f"{where[0] if where else 'model'}.type={name!r} is not a registered "
                f'component' + (f'; did you mean {", ".join(map(repr, near))}?' if near else
                                '; is the package that defines it in custom_imports?'))
    typo = re.search(r"(\w+)\.__init__\(\) got an unexpected keyword argument '(\w+)'", text)
    if typo:
        cls_name, key = typo.groups()
        where = [p for p, n in walk_dicts(model_cfg, 'model')
                 if n.get('type') == cls_name and key in n]
        cls = MODELS.get(cls_name) or TASK_UTILS.get(cls_name)
        params = [p for p in inspect.signature(cls.__init__).parameters if p != 'self'] if cls else []
        near = difflib.get_close_matches(key, params, n=2)
        return (f'{where[0] if where else "model"}.{key}: {cls_name} has no argument {key!r}'
                + (f'; did you mean {", ".join(map(repr, near))}?' if near else '')
                + f' (its arguments: {", ".join(params)})')
    return None


def build_checked(model_cfg: dict) -> torch.nn.Module:
    try:
        return MODELS.build(Config(dict(model=model_cfg)).model)
    except (KeyError, TypeError) as err:
        message = _explain_build_error(err, model_cfg)
        if message is None:
            raise
        raise ConfigError(message) from None
    except ValueError as err:  # the components' own validation, already explicit
        raise ConfigError(f'model: {err}') from None


def check_model_config(cfg: Config) -> None:
    """Build ``cfg.model`` and check that its parts fit together.

    Raises:
        ConfigError: naming the key, the bad value and the expected one.
    """
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model_cfg = cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else dict(cfg.model)
    neck = model_cfg.get('neck')
    model = build_checked(model_cfg).eval()
    try:
        with torch.no_grad():
            feats = model.backbone(torch.zeros(1, 3, PROBE_SIZE, PROBE_SIZE))
            backbone_channels = [f.shape[1] for f in feats]
            # Checked before running the neck, which would fail on the mismatch.
            if neck and 'in_channels' in neck and list(neck['in_channels']) != backbone_channels:
                raise ConfigError(
                    f'model.neck.in_channels={list(neck["in_channels"])} but the backbone '
                    f'({model_cfg["backbone"]["type"]}, out_indices='
                    f'{model_cfg["backbone"].get("out_indices")}) outputs {backbone_channels} '
                    f'channels; set model.neck.in_channels={backbone_channels}')
            if getattr(model, 'with_neck', False):
                feats = model.neck(feats)
    except ConfigError:
        raise
    except (RuntimeError, ValueError) as err:
        raise ConfigError(f'model: the backbone and neck cannot run on a '
                          f'{PROBE_SIZE}x{PROBE_SIZE} image: {err}') from None
    channels = [f.shape[1] for f in feats]
    strides = [PROBE_SIZE // f.shape[-1] for f in feats]
    generator = (model_cfg.get('rpn_head') or {}).get('anchor_generator')
    if generator:
        anchor_strides = [s[0] for s in TASK_UTILS.build(generator).strides]
        if anchor_strides != strides:
            raise ConfigError(
                f'model.rpn_head.anchor_generator.strides={anchor_strides} but the '
                f'{"neck" if neck else "backbone"} gives {len(strides)} levels with strides '
                f'{strides}; set model.rpn_head.anchor_generator.strides={strides}')
    extractor = (model_cfg.get('roi_head') or {}).get('bbox_roi_extractor')
    if extractor:
        expected = strides[:len(extractor['featmap_strides'])]
        if list(extractor['featmap_strides']) != expected:
            raise ConfigError(
                f'model.roi_head.bbox_roi_extractor.featmap_strides='
                f'{list(extractor["featmap_strides"])} but the feature maps it pools from '
                f'have strides {expected}; set it to {expected}')
        if extractor.get('out_channels', channels[0]) != channels[0]:
            raise ConfigError(
                f'model.roi_head.bbox_roi_extractor.out_channels={extractor["out_channels"]} '
                f'but the feature maps have {channels[0]} channels; set it to {channels[0]}')
