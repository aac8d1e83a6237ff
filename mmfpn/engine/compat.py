"""Make mmengine 0.10.7's checkpoints load on torch >= 2.6.

Since torch 2.6, ``torch.load`` defaults to ``weights_only=True``, which refuses
any pickled global outside an allowlist. mmengine 0.10.7 calls ``torch.load``
without the argument, and its own checkpoints carry a few globals (the message
hub's ``HistoryBuffer``, numpy arrays and scalars), so resume, ``load_from`` and
``tools/test.py`` fail with an ``UnpicklingError``.
:func:`allow_mmengine_checkpoint_globals` adds exactly those globals to torch's
allowlist; safe loading stays on, and anything else is still refused.
"""
import pickle
from typing import Callable, List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

#: The statistics every HistoryBuffer registers on creation (mmengine 0.10.7).
HISTORY_BUFFER_STATISTICS = frozenset({'min', 'max', 'current', 'mean'})


def history_buffer_method(owner: type, name: str) -> Callable:
    """Stands in for ``getattr`` while unpickling a checkpoint.

    A ``HistoryBuffer`` pickles its built-in statistics functions
    (``HistoryBuffer.min``, ``.max``, ``.mean``, ``.current``) as
    ``getattr(HistoryBuffer, 'min')`` (functions registered with
    ``register_statistics`` are module-level and pickle by their own name).
    Allowing the real ``getattr`` would let a checkpoint read any attribute of any
    allowed object; this resolves exactly those functions and refuses everything else.
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
