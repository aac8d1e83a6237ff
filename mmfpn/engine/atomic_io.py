"""Atomic writes for mmengine's local file backend.

mmengine 0.10.7 saves a checkpoint with ``open(path, 'wb').write(...)``: a crash,
a full disk or a SIGKILL while saving leaves a truncated file under the final
name, which ``--resume`` then fails on. :class:`AtomicLocalBackend` writes to a
temporary file in the same directory, flushes it to disk and renames it over the
target (``os.replace`` is atomic on POSIX), so a reader sees the old file or the
new one, never a part. Importing mmfpn registers it as the file backend
``'atomic_local'`` (mmengine's ``'local'`` stays as it is); mmfpn's default runtime
selects it for checkpoints with
``default_hooks = dict(checkpoint=dict(backend_args=dict(backend='atomic_local')))``,
which a config can remove to get mmengine's plain writes back.
"""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio.backends import LocalBackend, register_backend


class CheckpointWriteError(OSError):
    """A file could not be written; the message names the path, the reason and what to do."""


def atomic_write(path: Union[str, Path], data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is never seen half-written.

    Raises:
        CheckpointWriteError: the write failed (a full disk, a read-only dir); the
            previous ``path``, if any, is left as it was.
    """
    path = str(path)
    directory = osp.dirname(osp.abspath(path))
    tmp = None
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f'.{osp.basename(path)}.',
                                   suffix='.tmp')
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        if tmp is not None and osp.exists(tmp):
            os.remove(tmp)
        if isinstance(err, OSError) and not isinstance(err, CheckpointWriteError):
            raise CheckpointWriteError(
                err.errno, f'cannot write {path}: {err.strerror or err}. The previous '
                'file and the last_checkpoint pointer are unchanged; free space or make the '
                'directory writable, then continue with tools/train.py CONFIG --resume') from err
        raise


class AtomicLocalBackend(LocalBackend):
    """mmengine's ``LocalBackend`` with atomic ``put`` and ``put_text``."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write(filepath, obj)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        atomic_write(filepath, obj.encode(encoding))


register_backend('atomic_local', AtomicLocalBackend)
