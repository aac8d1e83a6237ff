"""What ``tools/train.py`` and ``tools/test.py`` do before handing over to mmengine.

Every check here runs before any data is read or any weight is built, and each
failure names the bad value and the fix.
"""
import difflib
import glob
import json
import os
import os.path as osp
from typing import Iterator, List, Optional

from mmengine.config import Config

#: Component types that only exist once ``mmfpn`` is imported.
MMFPN_TYPES = ('PaperFPN', 'PaperAnchorGenerator', 'PaperRoIExtractor')
TINY_ROOT = 'data/tiny'


class ConfigError(ValueError):
    """A config that cannot work, with the reason and the fix in the message."""


def _iter_types(node) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get('type'), str):
            yield node['type']
        for value in node.values():
            yield from _iter_types(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _iter_types(value)


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """``Config.fromfile`` with the mistakes users make turned into clear errors.

    Raises:
        ConfigError: the file does not exist (close matches are suggested), or the
            config uses an mmfpn component without importing mmfpn.
    """
    if not osp.isfile(path):
        known = sorted(glob.glob('configs/**/*.py', recursive=True))
        near = difflib.get_close_matches(path, known, n=3, cutoff=0.5)
        hint = f' Did you mean: {", ".join(near)}?' if near else (
            ' Run from the repository root; configs live under configs/.')
        raise ConfigError(f'config file {path!r} does not exist.{hint}')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    used = sorted(set(_iter_types(cfg.get('model', {}))) & set(MMFPN_TYPES))
    imports = (cfg.get('custom_imports') or {}).get('imports', [])
    if used and 'mmfpn' not in imports:
        raise ConfigError(
            f'{path} uses {", ".join(used)} but does not import mmfpn, so mmdet '
            "cannot find them. Add custom_imports = dict(imports=['mmfpn'], "
            "allow_failed_imports=False) to the config (or inherit a base from "
            'configs/_base_/models/).')
    return cfg


def _datasets(cfg: Config) -> Iterator[dict]:
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if not loader:
            continue
        dataset = loader['dataset']
        while 'dataset' in dataset:  # wrappers such as RepeatDataset
            dataset = dataset['dataset']
        yield dataset


def _ann_path(dataset: dict) -> Optional[str]:
    ann = dataset.get('ann_file')
    if not ann:
        return None
    return ann if osp.isabs(ann) else osp.join(dataset.get('data_root') or '', ann)


def prepare_data(cfg: Config) -> None:
    """Generate the tiny dataset on first use and check class names.

    Raises:
        ConfigError: an annotation file is missing, or the config's class names
            are not among its categories (mmdet would otherwise drop every box
            and fail much later with "need at least one array to concatenate").
    """
    for dataset in _datasets(cfg):
        ann = _ann_path(dataset)
        if ann is None:
            continue
        root = osp.normpath(dataset.get('data_root') or '.')
        if not osp.exists(ann) and root == osp.normpath(TINY_ROOT):
            from mmfpn.datasets.tiny import ensure_tiny
            ensure_tiny(TINY_ROOT)
        if not osp.exists(ann):
            raise ConfigError(f'annotation file {ann!r} does not exist; check '
                              'data_root and ann_file in the config')
        check_class_names(dataset, ann)


def check_class_names(dataset: dict, ann_file: str) -> List[str]:
    """The config's class names, checked against the COCO annotation file.

    Returns:
        The annotation file's category names.
    """
    classes = (dataset.get('metainfo') or {}).get('classes')
    with open(ann_file) as f:
        categories = [c['name'] for c in json.load(f).get('categories', [])]
    if classes is None:
        return categories
    missing = [c for c in classes if c not in categories]
    if missing:
        raise ConfigError(
            f'class names {missing} in the config (metainfo.classes) are not '
            f'categories of {ann_file}, whose categories are {categories}. Fix '
            'metainfo.classes (spelling and case matter), or the annotation file.')
    return categories


def setup_work_dir(cfg: Config, config_path: str, work_dir: Optional[str]) -> None:
    """mmdet's rule: CLI > config > ``work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(config_path))[0])
    os.makedirs(cfg.work_dir, exist_ok=True)
