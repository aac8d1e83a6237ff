"""A checkpoint backend whose second write finds the disk full (imported by
test_reliability.py's runs through custom_imports): the failure happens inside
mmfpn's atomic write itself, at the fsync of the temporary file."""
import errno
import os
from unittest import mock

from mmengine.fileio.backends import register_backend

from mmfpn.engine.atomic_io import AtomicLocalBackend


class FullOnSecondWrite(AtomicLocalBackend):
    writes = 0

    def put(self, obj, filepath) -> None:
        type(self).writes += 1
        if type(self).writes != 2:
            return super().put(obj, filepath)

        def no_space(fd):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        with mock.patch('os.fsync', no_space):
            super().put(obj, filepath)


register_backend('full_on_second_write', FullOnSecondWrite)
