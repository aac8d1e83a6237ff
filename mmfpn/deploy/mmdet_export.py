"""Publish checkpoints in mmdet's model-zoo format, runnable without mmfpn.

* :func:`publish_checkpoint` keeps ``meta`` and ``state_dict`` only, made of plain
  Python and tensors, so the file loads with ``torch.load(..., weights_only=True)``
  and no allowlist; it is written atomically as ``OUT-<sha256[:8]>.pth``.
* :func:`to_mmdet_config` replaces each mmfpn component by the stock mmdet module
  that computes the same thing, and refuses a setting mmdet cannot express.
* :func:`export_to_mmdet` writes both beside each other.
"""
import copy
import hashlib
import importlib.metadata
import io
import os
import os.path as osp
from typing import Any, Dict, Optional, Tuple

import torch
from mmengine.config import Config

from mmfpn.config.load import innermost_dataset
from mmfpn.config.tree import map_dicts, walk_dicts
from mmfpn.engine.atomic_io import atomic_write
from mmfpn.models.task_modules.paper_anchor_generator import (PAPER_ANCHOR_SIZES,
                                                              PAPER_ASPECT_RATIOS,
                                                              PAPER_STRIDES)
from mmfpn.models.roi_extractors.paper_roi_extractor import PaperRoIExtractor

PACKAGES = ('mmfpn', 'mmdet', 'mmengine', 'mmcv', 'torch')
PLAIN = (str, int, float, bool, type(None))


class ExportError(ValueError):
    """A model or file that cannot be exported faithfully; the message says why."""


def _plain(value: Any, where: str) -> Any:
    """``value`` as plain Python (dict/list/str/number/None), or ExportError."""
    if isinstance(value, PLAIN):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v, f'{where}.{k}') for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f'{where}[{i}]') for i, v in enumerate(value)]
    if hasattr(value, 'item') and getattr(value, 'ndim', 1) == 0:  # numpy / torch scalar
        return value.item()
    raise ExportError(f'{where} is a {type(value).__name__}, which a weights-only '
                      'checkpoint cannot hold')


def versions() -> Dict[str, str]:
    return {p: importlib.metadata.version(p) for p in PACKAGES}


def _config_metainfo(cfg: Optional[Config]) -> dict:
    """``metainfo`` (classes, palette) of the first dataset ``cfg`` names, or ``{}``."""
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = innermost_dataset((cfg or {}).get(key, {}).get('dataset', {}))
        if (dataset.get('metainfo') or {}).get('classes'):
            return dict(dataset['metainfo'])
    return {}


def publish_checkpoint(in_file: str, out_file: str, cfg: Optional[Config] = None) -> str:
    """Write the model-zoo form of ``in_file``; returns the written path.

    Args:
        in_file: A checkpoint mmengine's runner saved.
        out_file: ``OUT`` or ``OUT.pth``; the result is ``OUT-<sha256[:8]>.pth``.
        cfg: The training config, recorded in meta (default: the checkpoint's own);
            its ``metainfo`` supplies the class names when the checkpoint has none.
    """
    try:
        ckpt = torch.load(in_file, map_location='cpu', weights_only=True)
    except Exception as err:  # noqa: BLE001 (any unreadable file gets the same answer)
        raise ExportError(f'cannot read checkpoint {in_file!r} with safe loading: {err}') from err
    if 'state_dict' not in ckpt:
        raise ExportError(f'{in_file!r} has no state_dict; is it an mmengine checkpoint?')
    meta = ckpt.get('meta', {})
    dataset_meta = dict(meta.get('dataset_meta') or {})
    if 'classes' not in dataset_meta:
        # A checkpoint saved outside mmengine's runner (or stripped) carries no
        # dataset meta; the config given with it names the classes (mmdet's way).
        dataset_meta.update(_config_metainfo(cfg))
    if 'classes' not in dataset_meta:
        raise ExportError(f'{in_file!r} records no class names (meta.dataset_meta.classes) '
                          'and no config naming them (train_dataloader.dataset.metainfo'
                          '.classes) was given')
    config_text = cfg.pretty_text if cfg is not None else meta.get('cfg', '')
    published_meta = dict(
        dataset_meta=_plain(dataset_meta, 'meta.dataset_meta'),
        classes=_plain(dataset_meta['classes'], 'meta.dataset_meta.classes'),
        config=config_text,
        versions=versions(),
        epoch=_plain(meta.get('epoch'), 'meta.epoch'),
        iter=_plain(meta.get('iter'), 'meta.iter'),
    )
    state_dict = {k: v.detach().cpu().contiguous() for k, v in ckpt['state_dict'].items()}
    buffer = io.BytesIO()
    torch.save(dict(meta=published_meta, state_dict=state_dict), buffer)
    data = buffer.getvalue()
    stem = out_file[:-4] if out_file.endswith('.pth') else out_file
    final = f'{stem}-{hashlib.sha256(data).hexdigest()[:8]}.pth'
    atomic_write(final, data)
    return final


def _fpn(neck: dict) -> dict:
    for switch, paper in (('top_down', True), ('lateral', True), ('finest_only', False)):
        if neck.get(switch, paper) != paper:
            raise ExportError(f'PaperFPN({switch}={neck[switch]!r}) is a paper ablation that '
                              "mmdet's FPN cannot express; export refused")
    out = {k: v for k, v in neck.items() if k not in ('top_down', 'lateral', 'finest_only')}
    out['type'] = 'FPN'
    out.setdefault('out_channels', 256)
    out.setdefault('num_outs', 5)
    out.setdefault('init_cfg', dict(type='Caffe2Xavier', layer='Conv2d'))
    return out


def _anchors(gen: dict) -> dict:
    if gen.get('mode', 'mmdet') != 'mmdet':
        raise ExportError(f"PaperAnchorGenerator(mode={gen['mode']!r}): Detectron's rounded "
                          "anchors have no mmdet equivalent; export refused")
    sizes = [list(s) if isinstance(s, (list, tuple)) else [s]
             for s in gen.get('anchor_sizes', PAPER_ANCHOR_SIZES)]
    scales = [[s / level[0] for s in level] for level in sizes]
    if any(sc != scales[0] for sc in scales):
        raise ExportError(f'PaperAnchorGenerator(anchor_sizes={sizes}): mmdet shares one '
                          'list of scales across levels; these sizes differ per level')
    return dict(type='AnchorGenerator', strides=list(gen.get('strides', PAPER_STRIDES)),
                ratios=list(gen.get('ratios', PAPER_ASPECT_RATIOS)),
                base_sizes=[level[0] for level in sizes], scales=scales[0])


def _roi_extractor(ext: dict) -> dict:
    strides = ext['featmap_strides']
    if ext['roi_layer'].get('round_rois'):
        raise ExportError("roi_layer=dict(type='RoIPool', round_rois=True): the paper's "
                          "grid-rounded RoI pooling has no mmcv equivalent (mmcv's RoIPool "
                          'uses sub-pixel bins); export refused. Train with round_rois=False '
                          "or RoIAlign to publish for stock mmdet")
    extractor = PaperRoIExtractor(**{k: v for k, v in ext.items() if k != 'type'})
    return dict(type='SingleRoIExtractor', roi_layer=copy.deepcopy(ext['roi_layer']),
                out_channels=ext['out_channels'], featmap_strides=list(strides),
                finest_scale=extractor.finest_scale)


CONVERTERS = {'PaperFPN': _fpn, 'PaperAnchorGenerator': _anchors,
              'PaperRoIExtractor': _roi_extractor}


def _convert(node: dict) -> dict:
    """``node`` itself, or its stock mmdet equivalent if it is an mmfpn component."""
    return CONVERTERS[node['type']](node) if node.get('type') in CONVERTERS else node


#: mmfpn's training and test hooks: they change how a run is supervised, not
#: what the model computes, so the exported config leaves them out.
MMFPN_HOOKS = ('FiniteLossHook', 'RNGStateHook', 'FastInferenceHook', 'AtomicCheckpointHook')
MMFPN_ONLY = (*CONVERTERS, *MMFPN_HOOKS, 'CPUDistributedDataParallel')


def to_mmdet_config(cfg: Config) -> Config:
    """A standalone stock-mmdet config equivalent to ``cfg`` (no mmfpn import).

    Raises:
        ExportError: a paper switch or mode has no stock equivalent, or something
            else in the config needs mmfpn.
    """
    out = map_dicts(copy.deepcopy(cfg.to_dict()), _convert)
    out.pop('custom_imports', None)
    out.pop('_scope_', None)
    checkpoint_hook = out.get('default_hooks', {}).get('checkpoint', {})
    if (checkpoint_hook.get('backend_args') or {}).get('backend') == 'atomic_local':
        del checkpoint_hook['backend_args']  # mmfpn's atomic writes: mmengine's plain ones
    if checkpoint_hook.get('type') == 'AtomicCheckpointHook':
        checkpoint_hook['type'] = 'CheckpointHook'
    hooks = [h for h in out.get('custom_hooks', []) if h.get('type') not in MMFPN_HOOKS]
    if hooks:
        out['custom_hooks'] = hooks
    else:
        out.pop('custom_hooks', None)
    left = [(path, n['type']) for path, n in walk_dicts(out) if n.get('type') in MMFPN_ONLY]
    if left:
        raise ExportError(f'{left[0][0]} uses {left[0][1]}, which only mmfpn provides; '
                          'remove it from the config to export')
    return Config(out)


def export_to_mmdet(cfg: Config, name: str, checkpoint: str, out_dir: str) -> Tuple[str, str]:
    """Write ``OUT_DIR/<name>.py`` (stock mmdet config) and the published checkpoint.

    Returns:
        ``(config path, checkpoint path)``.

    Raises:
        ExportError: The model uses a paper switch stock mmdet cannot express, or
            the checkpoint is unreadable.
    """
    stock = to_mmdet_config(cfg)
    os.makedirs(out_dir, exist_ok=True)
    config_out = osp.join(out_dir, f'{name}.py')
    stock.dump(config_out)
    return config_out, publish_checkpoint(checkpoint, osp.join(out_dir, name), stock)

