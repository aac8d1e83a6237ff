"""Helpers of the end-to-end tests: run the tools on the tiny config, fast."""
import copy
import functools
import glob
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TINY_CONFIG = osp.join(ROOT, 'configs/tiny/faster-rcnn_r18_paper-fpn_tiny.py')
#: Inference with stock mmdet in a process that never imports mmfpn.
STOCK_INFER = osp.join(ROOT, 'tests', 'stock_mmdet_infer.py')
#: Every leaf config under configs/ (not a base).
LEAF_CONFIGS = sorted(p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
                      if '/_base_/' not in p)


@functools.lru_cache(maxsize=None)
def _loaded(path: str) -> Config:
    from mmfpn.config.load import load_config
    return load_config(path)


def leaf_config(path: str) -> Config:
    """``load_config(path)``, read once per session (mmengine reads every metafile of
    mmdet for each ``mmdet::`` base: 0.3 s a config); each call gets its own copy."""
    return copy.deepcopy(_loaded(path))


#: cfg-options that make the tiny config run in seconds on 8 images.
FAST = ['train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False', 'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.interval=1', 'param_scheduler.0.end=4',
        'default_hooks.visualization.draw=False']


def run(args, cwd, check=True, env=None):
    """Run ``python *args`` in ``cwd`` with one thread; fail with its output."""
    proc = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, 'OMP_NUM_THREADS': '1', **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n'
                             f'{proc.stderr[-6000:]}')
    return proc


def train(workspace, work_dir, epochs, *extra, options=(), config=TINY_CONFIG):
    """``tools/train.py`` on ``config`` (the tiny Faster R-CNN) for ``epochs``;
    ``options`` are more ``--cfg-options`` (a second ``--cfg-options`` flag would
    replace the first)."""
    return run([osp.join(ROOT, 'tools/train.py'), config, '--work-dir', str(work_dir),
                *extra, '--cfg-options', f'train_cfg.max_epochs={epochs}',
                f'train_cfg.val_interval={epochs}', *FAST, *options], cwd=workspace)


def tool_main(name: str):
    """``main(argv)`` of ``tools/<name>.py``, imported in this process."""
    spec = importlib.util.spec_from_file_location(f'tools_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def refusal(name: str, argv) -> str:
    """The ``error: ...`` line ``tools/<name>.py argv`` exits with (in-process)."""
    with pytest.raises(SystemExit) as exit_info:
        tool_main(name)(list(map(str, argv)))
    message = str(exit_info.value.code)
    assert message.startswith('error: '), message
    return message
