"""Publish checkpoints in mmdet's model-zoo format, runnable without mmfpn.

* :func:`publish_checkpoint` keeps ``meta`` and ``state_dict`` only, made of plain
  Python and tensors, so the file loads with ``torch.load(..., weights_only=True)``
  and no allowlist; it is written atomically as ``OUT-<sha256[:8]>.pth``.
* :func:`to_mmdet_config` replaces each mmfpn type by the stock mmdet module that
  computes the same thing (:mod:`mmfpn.config.stock`), and refuses by name a type
  or setting mmdet cannot express.
* :func:`export_to_mmdet` writes both beside each other.
"""
import copy
import hashlib
import importlib.metadata
import inspect
import io
import os
import os.path as osp
from typing import Any, Dict, Optional, Tuple

import torch
from mmengine.config import Config

from mmfpn.config.load import innermost_dataset
from mmfpn.config.registered import mmfpn_types, type_name
from mmfpn.config.stock import TO_STOCK, NotEquivalent
from mmfpn.engine.atomic_io import atomic_write

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


#: What export does with each type mmfpn registers (:func:`mmfpn.config.registered.mmfpn_types`).
#: A type missing here is refused by name, so a new component cannot slip through.
#: Converted: the stock twin that computes the same (:mod:`mmfpn.config.stock`).
#: Renamed: to the stock class it extends, less the arguments only it takes
#: (supervision or CPU support, not what the model computes).
#: Dropped: hooks that change how a run is supervised, not what the model computes.
RENAMED = ('AtomicCheckpointHook', 'MixedPrecisionOptimWrapper', 'CPUDistributedDataParallel',
           'DenseCocoMetric')
DROPPED = ('FiniteLossHook', 'RNGStateHook', 'FastInferenceHook')
#: Types with no stock twin, and why.
REFUSED = {
    'FPNSegmentProposalHead': "Sec. 6's segment-proposal MLPs have no mmdet head",
    'ImagePyramidSegmentProposer': "the image-pyramid proposer (Table 6's baseline) has no "
                                   'mmdet detector',
    'SegmProposalMetric': 'mmdet has no segment-proposal AR metric',
    'DumpRLEDetResults': "mmdet's DumpDetResults cannot dump RLE-encoded masks",
    'SlicedInference': 'mmdet has no sliced inference (its demo script needs the sahi '
                       'package); export the detector inside it and slice with mmfpn',
}


def _as_base_class(node: dict, cls: type) -> dict:
    """``node`` as a config of the stock class ``cls`` extends, without the arguments
    only ``cls`` names."""
    base = cls.__bases__[0]
    own = (set(inspect.signature(cls.__init__).parameters)
           - set(inspect.signature(base.__init__).parameters))
    return dict({k: v for k, v in node.items() if k not in own}, type=base.__name__)


def _stock(node: dict, path: str, owned: Dict[str, Any]) -> Optional[dict]:
    """The stock form of one config dict (``None``: drop it), or ExportError."""
    name = type_name(node.get('type'))
    if name not in owned:
        return node
    if name in TO_STOCK:
        try:
            return TO_STOCK[name](node)
        except NotEquivalent as err:
            raise ExportError(f'{path}: {err}; export refused') from err
    if name in RENAMED:
        return _as_base_class(node, owned[name].cls)
    if name in DROPPED:
        return None
    why = REFUSED.get(name, 'export has no rule for it')
    raise ExportError(f'{path} uses {name}, which only mmfpn provides ({why}); export '
                      'refused. Remove it from the config to export')


def _to_stock(node: Any, path: str, owned: Dict[str, Any]) -> Any:
    """``node`` with every mmfpn type replaced, children first; dropped items removed."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            value = _to_stock(value, f'{path}.{key}' if path else str(key), owned)
            if value is not None or node[key] is None:
                out[key] = value
        return _stock(out, path, owned)
    if isinstance(node, (list, tuple)):
        items = [_to_stock(v, f'{path}[{i}]', owned) for i, v in enumerate(node)]
        return type(node)(v for v, old in zip(items, node) if v is not None or old is None)
    return node


def to_mmdet_config(cfg: Config) -> Config:
    """A standalone stock-mmdet config equivalent to ``cfg`` (no mmfpn import).

    Every type mmfpn registers is converted to its stock twin, renamed to the stock
    class it subclasses, dropped (supervision hooks) or refused by name.

    Raises:
        ExportError: a paper switch, mode or component has no stock equivalent.
    """
    out = _to_stock(copy.deepcopy(cfg.to_dict()), '', mmfpn_types())
    out.pop('custom_imports', None)
    out.pop('_scope_', None)
    checkpoint_hook = out.get('default_hooks', {}).get('checkpoint', {})
    if (checkpoint_hook.get('backend_args') or {}).get('backend') == 'atomic_local':
        del checkpoint_hook['backend_args']  # mmfpn's atomic writes: mmengine's plain ones
    if not out.get('custom_hooks', True):
        del out['custom_hooks']
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

