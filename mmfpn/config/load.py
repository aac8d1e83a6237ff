"""Loading a config: the mistakes users make turned into errors that name the fix.

Everything here runs before any data is read or any weight is built.
"""
import glob
import difflib
import os
import os.path as osp
from typing import Iterator, Optional, Tuple

from mmengine.config import Config
from mmengine.utils import get_installed_path

from mmfpn.config.registered import mmfpn_types, type_name
from mmfpn.config.tree import walk_dicts

#: The config ``make demo`` trains (the Makefile's ``CONFIG``).
DEMO_CONFIG = 'configs/tiny/faster-rcnn_r18-w24_paper-fpn_demo.py'
#: What the package carries for mim (``configs/``, ``tools/``, ``model-index.yml``),
#: so that code finds them in an installed package as well as in a checkout.
MIM_ROOT = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), '.mim')


def mim_path(*parts: str) -> str:
    """A path inside the package's mim folder.

    Example:
        >>> mim_path('configs', 'tiny', 'faster-rcnn_r18_paper-fpn_tiny.py').endswith(
        ...     '.mim/configs/tiny/faster-rcnn_r18_paper-fpn_tiny.py')
        True
    """
    return osp.join(MIM_ROOT, *parts)


class ConfigError(ValueError):
    """A config that cannot work, with the reason and the fix in the message."""


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """``Config.fromfile`` with the mistakes users make turned into clear errors.

    Raises:
        ConfigError: the file does not exist (close matches are suggested), or the
            config uses a type mmfpn registers without importing mmfpn.
    """
    if '::' in path:  # 'mmdet::faster_rcnn/...': a config a package installs
        path = package_config_path(path)
    if not osp.isfile(path):
        known = sorted(glob.glob('configs/**/*.py', recursive=True))
        near = difflib.get_close_matches(path, known, n=3, cutoff=0.5)
        hint = f' Did you mean: {", ".join(near)}?' if near else (
            ' Run from the repository root; configs live under configs/.')
        raise ConfigError(f'config file {path!r} does not exist.{hint}')
    return _checked(Config.fromfile(path), path, cfg_options)


def package_config_path(name: str) -> str:
    """The file behind ``'PACKAGE::RELATIVE'`` (mmengine's base-config syntax): the
    package's ``.mim/configs/RELATIVE``.

    Raises:
        ConfigError: the package is not installed, or has no such config.
    """
    package, relative = name.split('::', 1)
    try:
        root = get_installed_path(package)
    except Exception as err:  # noqa: BLE001 (mmengine raises a bare PackageNotFoundError)
        raise ConfigError(f'{name!r}: package {package!r} is not installed; install it '
                          f'(pip install {package}) or pass a config file path') from err
    path = osp.join(root, '.mim', 'configs', relative)
    if not osp.isfile(path):
        raise ConfigError(f'{name!r}: {package} has no config {relative!r} (looked in '
                          f'{osp.dirname(path)})')
    return path


def _checked(cfg: Config, path: str, cfg_options: Optional[dict]) -> Config:
    """``cfg`` with ``cfg_options`` merged, refused if it uses mmfpn without importing it."""
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    used = sorted({type_name(n.get('type')) for _, n in walk_dicts(cfg.to_dict())}
                  & set(mmfpn_types()))
    imports = (cfg.get('custom_imports') or {}).get('imports', [])
    if used and 'mmfpn' not in imports:
        raise ConfigError(
            f'{path} uses {", ".join(used)} but does not import mmfpn, so mmdet '
            "cannot find them. Add custom_imports = dict(imports=['mmfpn'], "
            "allow_failed_imports=False) to the config (or inherit a base from "
            'configs/_base_/models/).')
    return cfg


def test_evaluators(cfg: Config) -> list:
    """``cfg.test_evaluator`` as a list (a config may give one evaluator or several)."""
    return cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [cfg.test_evaluator]


def innermost_dataset(dataset: dict) -> dict:
    """The dataset inside wrappers such as ``RepeatDataset`` (``dataset.dataset...``).

    Example:
        >>> innermost_dataset({'type': 'RepeatDataset', 'dataset': {'type': 'CocoDataset'}})
        {'type': 'CocoDataset'}
    """
    while 'dataset' in dataset:
        dataset = dataset['dataset']
    return dataset


def config_datasets(cfg: Config) -> Iterator[Tuple[str, dict]]:
    """``(dataloader key, innermost dataset config)`` of each dataloader."""
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if not loader:
            continue
        yield key, innermost_dataset(loader['dataset'])


def ann_path(dataset: dict) -> Optional[str]:
    """The dataset's annotation file, joined to its ``data_root``."""
    ann = dataset.get('ann_file')
    if not ann:
        return None
    return ann if osp.isabs(ann) else osp.join(dataset.get('data_root') or '', ann)


def setup_work_dir(cfg: Config, config_path: str, work_dir: Optional[str]) -> None:
    """mmdet's rule: CLI > config > ``work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(config_path))[0])
    os.makedirs(cfg.work_dir, exist_ok=True)


def set_loader_workers(cfg: Config, workers: int) -> None:
    """``--workers N``: ``N`` loader processes for every dataloader of ``cfg``.

    ``0`` loads in the training process itself (a debugger can step into the
    pipeline; ``docs/time_to_accuracy.md`` measured the demo as fast either way on 2
    cores). ``persistent_workers`` follows (torch refuses it without workers).

    Example:
        >>> cfg = Config(dict(train_dataloader=dict(num_workers=2, persistent_workers=True)))
        >>> set_loader_workers(cfg, 0)
        >>> cfg.train_dataloader
        {'num_workers': 0, 'persistent_workers': False}
    """
    if workers < 0:
        raise ConfigError(f'--workers {workers}: give 0 (load in the main process) or more')
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(key):
            cfg[key].num_workers = workers
            cfg[key].persistent_workers = workers > 0
