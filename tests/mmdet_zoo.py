"""mmdet's own configs, as the installed mmdet ships them (``mmdet/.mim/configs``)."""
import functools
import glob
import os.path as osp
from typing import Dict, Tuple

import mmdet
from mmengine.config import Config

ZOO = osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs')


@functools.lru_cache(maxsize=1)
def mmdet_zoo() -> Tuple[Dict[str, Config], Dict[str, str]]:
    """``({relative path: config}, {relative path: why it cannot be read here})`` of
    every leaf config (not under ``_base_/``). Configs that import packages mmfpn
    does not install (mmpretrain, ...) or name bases mmdet does not ship are in the
    second dict."""
    configs, skipped = {}, {}
    for path in sorted(glob.glob(osp.join(ZOO, '**', '*.py'), recursive=True)):
        name = osp.relpath(path, ZOO)
        if name.startswith('_base_') or '/_base_/' in name:
            continue
        try:
            configs[name] = Config.fromfile(path)
        except (ImportError, FileNotFoundError) as err:
            skipped[name] = f'{type(err).__name__}: {str(err).splitlines()[0][:120]}'
    return configs, skipped
