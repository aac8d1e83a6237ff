"""Make mmengine 0.10.7 work on torch >= 2.6 and on machines without CUDA.

1. Safe loading. Since torch 2.6, ``torch.load`` defaults to ``weights_only=True``,
   which refuses any pickled global outside an allowlist. mmengine 0.10.7 calls
   ``torch.load`` without the argument, and its own checkpoints carry a few
   globals (the message hub's ``HistoryBuffer``, numpy arrays and scalars), so
   resume, ``load_from`` and ``tools/test.py`` fail with an ``UnpicklingError``.
   :func:`allow_mmengine_checkpoint_globals` adds exactly those globals to torch's
   allowlist; safe loading stays on, and anything else is still refused.
2. CPU distributed training. mmengine's ``init_dist`` calls
   ``torch.cuda.set_device`` and its runner wraps the model with
   ``device_ids=[LOCAL_RANK]``; both fail without CUDA.
   :func:`prepare_distributed` initialises a gloo process group itself (the
   runner then skips ``init_dist``) and selects :class:`CPUDistributedDataParallel`.
   With CUDA nothing changes: mmengine initialises NCCL as usual.
"""
import datetime
import os
import pickle
from typing import Callable, List

import numpy as np
import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.logging import HistoryBuffer
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS

#: The statistics every HistoryBuffer registers on creation (mmengine 0.10.7).
HISTORY_BUFFER_STATISTICS = frozenset({'min', 'max', 'current', 'mean'})


def history_buffer_method(owner: type, name: str) -> Callable:
    """Stands in for ``getattr`` while unpickling a checkpoint.

    A ``HistoryBuffer`` pickles its built-in statistics functions
    (``HistoryBuffer.min``, ``.max``, ``.mean``, ``.current``) as
    ``getattr(HistoryBuffer, 'min')`` (functions registered with
    ``register_statistics`` are module-level and pickle by their own name). Allowing the real ``getattr`` would let a
    checkpoint read any attribute of any allowed object; this resolves exactly
    those functions and refuses everything else.
    """
    if owner is HistoryBuffer and name in HISTORY_BUFFER_STATISTICS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({owner!r}, {name!r}); mmfpn only allows '
        "HistoryBuffer's statistics methods. The file is not an mmengine checkpoint "
        'or was tampered with; it was not loaded.')


def _numpy_core():
    """numpy's private core package: ``numpy._core`` since numpy 2, ``numpy.core``
    before (its pickles name the one of the numpy that wrote them)."""
    return np._core if hasattr(np, '_core') else np.core


def mmengine_checkpoint_globals() -> List[object]:
    """The globals in checkpoints that mmengine 0.10.7's Runner writes.

    Found by listing the GLOBAL opcodes of its checkpoints (numpy 2): the message
    hub's ``HistoryBuffer`` objects hold numpy arrays and scalars and their
    statistics functions; everything else is already on torch's allowlist.
    """
    return [
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        _numpy_core().multiarray._reconstruct,
        _numpy_core().multiarray.scalar,
        *{type(np.dtype(t)) for t in (np.float64, np.float32, np.int64, np.int32)},
        (history_buffer_method, 'builtins.getattr'),
    ]


def allow_mmengine_checkpoint_globals() -> None:
    """Add :func:`mmengine_checkpoint_globals` to torch's ``weights_only`` allowlist."""
    torch.serialization.add_safe_globals(mmengine_checkpoint_globals())


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` for CPU modules (gloo).

    mmengine's runner always passes ``device_ids=[LOCAL_RANK]``, which torch's DDP
    rejects for a module on the CPU; this wrapper drops it.
    """

    def __init__(self, module: torch.nn.Module, device_ids=None, **kwargs) -> None:
        super().__init__(module=module, device_ids=None, **kwargs)


def prepare_distributed(cfg: Config) -> None:
    """Start a gloo process group for ``cfg.launcher`` when CUDA is absent.

    Args:
        cfg: A config whose ``launcher`` is ``'none'``, ``'pytorch'``, ``'slurm'``
            or ``'mpi'``; modified in place (model wrapper, dist backend).
    """
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none' or torch.cuda.is_available() or torch_dist.is_initialized():
        return
    if launcher == 'slurm':
        os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
        os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
        os.environ.setdefault('LOCAL_RANK', os.environ['SLURM_LOCALID'])
        if 'MASTER_ADDR' not in os.environ:
            raise RuntimeError('CPU training under slurm needs MASTER_ADDR (and '
                               'MASTER_PORT) in the environment; export the first '
                               "node's address before srun")
    elif launcher != 'pytorch':
        raise RuntimeError(f'launcher={launcher!r} without CUDA is not supported; '
                           "use tools/dist_train.sh (launcher='pytorch')")
    os.environ.setdefault('LOCAL_RANK', os.environ.get('RANK', '0'))
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    timeout = cfg.env_cfg.dist_cfg.get('timeout')
    kwargs = {} if timeout is None else dict(timeout=datetime.timedelta(seconds=timeout))
    torch_dist.init_process_group(backend='gloo', **kwargs)
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    if wrapper.get('type', 'MMDistributedDataParallel') == 'MMDistributedDataParallel':
        wrapper['type'] = 'CPUDistributedDataParallel'
        wrapper.setdefault('broadcast_buffers', False)
        wrapper.setdefault('find_unused_parameters', cfg.get('find_unused_parameters', False))
        cfg.model_wrapper_cfg = wrapper
