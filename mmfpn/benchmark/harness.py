"""The benchmark's harness: alternating, synchronised, median timings, and what
a figure was measured on (device, threads, CPU model and flags)."""
import statistics
import time
from typing import Callable, Dict, List

import torch

from mmfpn.precision import cpu_has_native_bf16


def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def time_pair(fns: Dict[str, Callable[[], object]], repeats: int, device: str,
              warmup: int = 1) -> Dict[str, float]:
    """Median seconds of each function, run alternately ``repeats`` times.

    The order alternates round by round (A B, B A, ...) so that neither side is
    always first after the other has filled the caches.
    """
    times: Dict[str, List[float]] = {name: [] for name in fns}
    items = list(fns.items())
    for i in range(warmup + repeats):
        for name, fn in (items if i % 2 == 0 else items[::-1]):
            _sync(device)
            start = time.perf_counter()
            fn()
            _sync(device)
            if i >= warmup:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


#: The CPU flags that decide which kernels oneDNN and OpenVINO run (bf16 natively; INT8
#: with VNNI or AMX).
CPU_FLAGS = ('avx2', 'avx_vnni', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'amx_bf16', 'amx_int8')


def machine(device: str) -> dict:
    """What a figure was measured on: device, threads, torch, CPU model and flags."""
    return dict(device=device, threads=torch.get_num_threads(), torch=torch.__version__,
                cpu=_cpu_field('model name'),
                cpu_flags=[f for f in CPU_FLAGS if f in _cpu_field('flags').split()],
                native_bf16=cpu_has_native_bf16())


def _cpu_field(name: str) -> str:
    """A field of the first CPU in ``/proc/cpuinfo`` (``'unknown'`` where there is none)."""
    try:
        with open('/proc/cpuinfo') as f:
            return next(line.split(':', 1)[1].strip() for line in f if line.startswith(name))
    except (OSError, StopIteration):
        return 'unknown'
