"""Training hooks for reliability."""
import math
import os
import os.path as osp
import random
from typing import Any, Optional

import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook, Hook
from mmengine.registry import HOOKS

from mmfpn.engine.work_dir import POINTER

#: Where :class:`AtomicCheckpointHook` lets mmengine write the pointer first.
STAGING = '.mmfpn-staging'


class NonFiniteLossError(RuntimeError):
    """Training produced a NaN or Inf loss."""


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Stop training at the first NaN or Inf loss, naming the iteration and term.

    Runs before the checkpoint hook (priority ``ABOVE_NORMAL`` vs ``VERY_LOW``), so
    a checkpoint with non-finite weights is never written and the last good one is
    left as it was. mmdet's ``CheckInvalidLossHook`` checks only the total, every
    50 iterations, and does not say which term failed.
    """

    priority = 'ABOVE_NORMAL'

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        values = {k: float(v.detach() if isinstance(v, torch.Tensor) else v)
                  for k, v in (outputs or {}).items() if 'loss' in k}
        bad = {k: v for k, v in values.items() if not math.isfinite(v)}
        if bad:
            terms = ', '.join(f'{k}={v}' for k, v in sorted(bad.items()))
            raise NonFiniteLossError(
                f'non-finite loss at iteration {runner.iter + 1} (epoch {runner.epoch + 1}): '
                f'{terms}. Training stopped before any checkpoint of this state was '
                'written; lower the learning rate or check the data, then resume from '
                'the last checkpoint.')


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save the random generators' states in each checkpoint; restore them on resume.

    mmengine reseeds on resume but does not restore generator states, so a run
    resumed from epoch ``k`` draws different random flips and RoI samples than the
    uninterrupted run and ends with different weights. With this hook (and
    ``randomness=dict(seed=..., deterministic=True)``, one process, CPU) a resumed
    run reproduces the uninterrupted one exactly. States are stored as plain
    Python lists and a uint8 tensor, which safe loading accepts.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        version, state, gauss = random.getstate()
        kind, keys, pos, has_gauss, cached = np.random.get_state()
        checkpoint.setdefault('meta', {})['rng_state'] = dict(
            python=[version, list(state), gauss],
            numpy=[kind, keys.tolist(), int(pos), int(has_gauss), float(cached)],
            torch=torch.get_rng_state())

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        rng = checkpoint.get('meta', {}).get('rng_state')
        if rng is None or not getattr(runner, '_resume', False):
            return
        version, state, gauss = rng['python']
        random.setstate((version, tuple(state), gauss))
        kind, keys, pos, has_gauss, cached = rng['numpy']
        np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))
        torch.set_rng_state(rng['torch'])


class _StagedRunner:
    """The runner, with ``work_dir`` pointing at a staging directory."""

    def __init__(self, runner, work_dir: str) -> None:
        self._runner = runner
        self.work_dir = work_dir

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runner, name)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` whose ``last_checkpoint`` pointer is replaced whole.

    mmengine 0.10.7 writes the pointer with a plain ``open(work_dir/last_checkpoint,
    'w')`` after each checkpoint: a crash inside that write leaves a truncated path.
    Here mmengine's own method runs unchanged against a runner whose ``work_dir`` is
    ``work_dir/.mmfpn-staging``, so its plain write lands there, and the pointer is
    then published through the hook's file backend (``'atomic_local'`` in mmfpn's
    runtime: temporary file and rename). The pointer under ``work_dir`` always names
    a checkpoint that was completely written. ``type='CheckpointHook'`` in a config
    restores mmengine's behaviour.
    """

    def _save_checkpoint_with_step(self, runner, step: int, meta: dict) -> None:
        staging = osp.join(runner.work_dir, STAGING)
        if is_main_process():
            os.makedirs(staging, exist_ok=True)
        super()._save_checkpoint_with_step(_StagedRunner(runner, staging), step, meta)
        if is_main_process():
            staged = osp.join(staging, POINTER)
            with open(staged) as f:
                self.file_backend.put_text(f.read(), osp.join(runner.work_dir, POINTER))
            os.remove(staged)
