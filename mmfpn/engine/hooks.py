"""Training hooks for reliability."""
import math
import random
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


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
