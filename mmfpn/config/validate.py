"""Refuse a bad model config at build time, before any data is read.

:func:`check_model_config` builds the model once, reads the channels and strides
of the backbone's and the neck's maps from the modules (no forward pass for mmdet's
ResNets and PaperFPN), then checks what the config claims against them: the neck's
``in_channels`` against the backbone's real channels, the anchor generator's
strides and the RoI extractor's strides against the strides the pyramid really has. Build errors (unknown type, misspelt argument) are turned
into messages that name the config key and close matches.
"""
import difflib
import inspect
import os.path as osp
import re
import socket
from typing import Callable, List, Optional
from urllib.parse import urlparse

import torch
from mmdet.registry import MODELS, TASK_UTILS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import nn

from mmfpn.config.tree import walk_dicts
from mmfpn.models.shape_spec import ShapeSpec
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


def backbone_output_shape(backbone: nn.Module) -> List[ShapeSpec]:
    """Channels and stride of each map a backbone returns.

    mmdet's ResNet family is read from its structure (stem stride 4, then each
    stage's stride; channels of each stage's last conv); any other backbone runs
    once on a blank :data:`PROBE_SIZE` square input.

    Raises:
        ConfigError: the probe forward fails.
    """
    if all(hasattr(backbone, a) for a in ('res_layers', 'strides', 'out_indices')):
        shapes, stride = [], 4  # conv1 (stride 2) + max pool (stride 2), deep stem or not
        for i, name in enumerate(backbone.res_layers):
            stride *= backbone.strides[i]
            convs = [m for m in getattr(backbone, name).modules() if isinstance(m, nn.Conv2d)]
            if i in backbone.out_indices:
                shapes.append(ShapeSpec(convs[-1].out_channels, stride))
        return shapes
    try:
        with torch.no_grad():
            feats = backbone.eval()(torch.zeros(1, 3, PROBE_SIZE, PROBE_SIZE))
    except (RuntimeError, ValueError) as err:
        raise ConfigError(f'model.backbone cannot run on a {PROBE_SIZE}x{PROBE_SIZE} image: '
                          f'{err}') from None
    return [ShapeSpec(f.shape[1], PROBE_SIZE // f.shape[-1]) for f in feats]


def neck_output_shape(neck: nn.Module, inputs: List[ShapeSpec]) -> List[ShapeSpec]:
    """The neck's ``output_shape`` (:class:`PaperFPN`), or one probe forward of
    another neck on maps of the inputs' shapes."""
    if hasattr(neck, 'output_shape'):
        return neck.output_shape([s.stride for s in inputs])
    try:
        with torch.no_grad():
            feats = neck.eval()([torch.zeros(1, s.channels, PROBE_SIZE // s.stride,
                                             PROBE_SIZE // s.stride) for s in inputs])
    except (RuntimeError, ValueError) as err:
        raise ConfigError(f'model.neck cannot run on the backbone\'s maps: {err}') from None
    return [ShapeSpec(f.shape[1], PROBE_SIZE // f.shape[-1]) for f in feats]


def check_model_config(cfg: Config) -> nn.Module:
    """Build ``cfg.model`` and check that its parts fit together; returns the model.

    The shapes come from :func:`backbone_output_shape` and the neck's
    ``output_shape`` (:meth:`PaperFPN.output_shape`); no forward pass of the
    detector is run.

    Returns:
        The built model (its weights not yet initialised).

    Raises:
        ConfigError: naming the key, the bad value and the expected one.
    """
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model_cfg = cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else dict(cfg.model)
    neck = model_cfg.get('neck')
    model = build_checked(model_cfg)
    shapes = backbone_output_shape(model.backbone)
    backbone_channels = [s.channels for s in shapes]
    if neck and 'in_channels' in neck and list(neck['in_channels']) != backbone_channels:
        raise ConfigError(
            f'model.neck.in_channels={list(neck["in_channels"])} but the backbone '
            f'({model_cfg["backbone"]["type"]}, out_indices='
            f'{model_cfg["backbone"].get("out_indices")}) outputs {backbone_channels} '
            f'channels; set model.neck.in_channels={backbone_channels}')
    if getattr(model, 'with_neck', False):
        shapes = neck_output_shape(model.neck, shapes)
    channels = [s.channels for s in shapes]
    strides = [s.stride for s in shapes]
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
    return model


def _host_reachable(host: str, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to ``host``:443 opens within ``timeout`` seconds."""
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError:
        return False
    return True


def pretrained_unavailable(checkpoint: str,
                           reachable: Callable[[str], bool] = _host_reachable) -> Optional[str]:
    """Why ``init_cfg=dict(type='Pretrained', checkpoint=...)`` cannot be loaded here,
    or ``None`` when it can (a local file, a cached or reachable download).

    mmengine downloads such weights when the runner initialises the model, after the
    data and the model are built; offline that fails late, deep in a traceback.
    """
    if '://' not in checkpoint:
        return None if osp.isfile(checkpoint) else 'no such file'
    url = checkpoint
    if checkpoint.startswith('torchvision://'):
        try:
            from mmengine.runner.checkpoint import get_torchvision_models
            url = get_torchvision_models()[checkpoint[len('torchvision://'):]]
        except ImportError:
            return ('mmengine resolves torchvision:// names through torchvision, which is not '
                    'installed')
    if not url.startswith(('http://', 'https://')):
        return None  # open-mmlab:// and the like: mmengine's own resolution, unchecked
    cached = osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(urlparse(url).path))
    if osp.isfile(cached) or reachable(urlparse(url).hostname):
        return None
    return f'{url} is not in the download cache ({cached}) and cannot be reached from here'


def check_pretrained_weights(cfg: Config,
                             reachable: Callable[[str], bool] = _host_reachable) -> None:
    """Refuse, before any work, a ``Pretrained`` init whose weights cannot be had.

    Raises:
        ConfigError: naming the key and both ways out: train from scratch, or point
            ``init_cfg.checkpoint`` at a local file.
    """
    for path, node in walk_dicts(cfg.get('model', {}), 'model'):
        init = node.get('init_cfg')
        if not (isinstance(init, dict) and init.get('type') == 'Pretrained'
                and init.get('checkpoint')):
            continue
        why = pretrained_unavailable(init['checkpoint'], reachable)
        if why:
            raise ConfigError(
                f'{path}.init_cfg.checkpoint={init["checkpoint"]!r}: {why}. Either train from '
                f'scratch, as the tiny configs do: --cfg-options {path}.init_cfg=None '
                f'{path}.frozen_stages=-1 {path}.norm_eval=False (and train longer), or '
                f'copy the weights here and point at the file: --cfg-options '
                f'{path}.init_cfg.checkpoint=/path/to/weights.pth')
