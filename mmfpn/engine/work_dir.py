"""A training work dir that survives crashes and refuses a second run.

* :func:`resume_checkpoint`: what ``--resume`` (no path) resumes from. mmengine reads
  the ``last_checkpoint`` pointer and trusts it; a crash while that pointer or a
  checkpoint was written, or a checkpoint deleted by hand, then fails the resume or
  takes the wrong file. Here the pointer is used only when it names a complete
  checkpoint; otherwise the newest complete checkpoint of the work dir is taken,
  and the log says which and why. (The pointer itself is replaced whole by
  :class:`mmfpn.engine.hooks.AtomicCheckpointHook`, checkpoints by
  :mod:`mmfpn.engine.atomic_io`; the reader still checks, for work dirs written
  by plain mmengine or edited by hand.)
* :func:`last_checkpoint`: the checkpoint a finished run's pointer names (the one
  reader of the pointer; experiment runners and ``--resume`` both use it).
* :func:`work_dir_lock`: one training run per work dir. A second ``tools/train.py``
  on the same ``--work-dir`` would interleave checkpoints and the pointer with the
  first; it is refused, naming the process that holds the dir.
"""
import errno
import fcntl
import glob
import logging
import os
import os.path as osp
import re
import zipfile
from contextlib import contextmanager
from typing import Iterator, Optional

from mmengine.logging import print_log

from mmfpn.config.load import ConfigError

POINTER = 'last_checkpoint'
LOCK = '.mmfpn-train.lock'
_CHECKPOINT = re.compile(r'(epoch|iter)_(\d+)\.pth$')


def is_complete_checkpoint(path: str) -> bool:
    """Whether ``path`` is a whole ``torch.save`` file: a zip archive whose central
    directory, written last, is intact (a truncated file has none). Cheap: reads the
    end of the file only."""
    try:
        with zipfile.ZipFile(path) as archive:
            return bool(archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def _read_pointer(work_dir: str) -> Optional[str]:
    """What ``work_dir/last_checkpoint`` names, or ``None`` without a pointer."""
    pointer = osp.join(work_dir, POINTER)
    if not osp.isfile(pointer):
        return None
    with open(pointer) as f:
        return f.read().strip()


def last_checkpoint(work_dir: str) -> str:
    """The complete checkpoint that ``work_dir``'s ``last_checkpoint`` pointer names.

    Raises:
        FileNotFoundError: no pointer, or it names a missing or incomplete file.
    """
    named = _read_pointer(work_dir)
    if not named or not is_complete_checkpoint(named):
        raise FileNotFoundError(
            f'{work_dir} holds no finished run: its last_checkpoint pointer names '
            f'{named!r}; train it (tools/train.py CONFIG --work-dir {work_dir})')
    return named


def resume_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` continues from, or ``None`` for a fresh run.

    The ``last_checkpoint`` pointer when it names a complete checkpoint; else the
    complete ``epoch_N.pth`` / ``iter_N.pth`` with the largest N, with a warning
    that names the file taken and why the pointer was not used.
    """
    pointer = osp.join(work_dir, POINTER)
    named = _read_pointer(work_dir)
    if named and is_complete_checkpoint(named):
        return named
    found = sorted((int(m[2]), path) for path in glob.glob(osp.join(work_dir, '*.pth'))
                   if (m := _CHECKPOINT.search(osp.basename(path))))
    complete = [path for _, path in found if is_complete_checkpoint(path)]
    if not complete:
        if named is not None:
            print_log(f'--resume: {pointer} names {named!r}, which is missing or incomplete, '
                      f'and {work_dir} holds no complete checkpoint: training starts afresh',
                      logger='current', level=logging.WARNING)
        return None
    why = ('there is no pointer' if named is None else
           f'the pointer names {named!r}, which is missing or incomplete')
    print_log(f'--resume: {why}; resuming from the newest complete checkpoint in '
              f'{work_dir}: {complete[-1]}', logger='current', level=logging.WARNING)
    return complete[-1]


@contextmanager
def work_dir_lock(work_dir: str) -> Iterator[None]:
    """Hold ``work_dir/.mmfpn-train.lock`` for a training run (released on exit, also
    when the process dies: the kernel drops the lock).

    Raises:
        ConfigError: another process holds it.
    """
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, LOCK)
    with open(path, 'a+') as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            lock.seek(0)
            holder = lock.read().strip() or 'unknown'
            raise ConfigError(
                f'another training run (pid {holder}) is using the work dir {work_dir!r}; '
                'two runs would overwrite each other\'s checkpoints. Wait for it, or give '
                'this run its own --work-dir') from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        yield
