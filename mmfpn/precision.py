"""Which precision runs where: native bf16 detection and submodule autocast.

One implementation of "run these submodules in bf16 and hand float32 to what
follows", used by mixed-precision training (:mod:`mmfpn.engine.amp`) and by the
fast inference path (:mod:`mmfpn.deploy.fast`): box coding, NMS, target
assignment, RoI pooling and the losses stay float32 (mmcv's NMS refuses bf16
boxes, and bf16's 8-bit mantissa would put box coordinates of a 1333-px image
4 px apart).
"""
from contextlib import contextmanager
from typing import Any, Iterator, List, NamedTuple, Sequence

import torch
from mmengine.device import is_cuda_available, is_mlu_available, is_npu_available
from torch import nn
from torch.utils.hooks import RemovableHandle

#: Submodules of an mmdet two-stage detector whose convolutions and fc layers
#: dominate a step; what they return is cast back to float32.
DENSE_MODULES = ('backbone', 'neck', 'rpn_head', 'roi_head.bbox_head')


def accelerator_available() -> bool:
    """Whether mmengine's ``AmpOptimWrapper`` can run here (CUDA, NPU or MLU)."""
    return is_cuda_available() or is_npu_available() or is_mlu_available()


def cpu_has_native_bf16() -> bool:
    """Whether oneDNN runs bf16 natively on this CPU (AVX512-BF16 or AMX)."""
    return bool(torch.backends.mkldnn.is_available()
                and torch.ops.mkldnn._is_mkldnn_bf16_supported())


def to_float32(value: Any) -> Any:
    """``value`` with every bf16/fp16 tensor in it (tuples, lists, dicts) as float32.

    Example:
        >>> to_float32((torch.ones(1, dtype=torch.bfloat16), 3))[0].dtype
        torch.float32
    """
    if isinstance(value, torch.Tensor):
        return value.float() if value.dtype in (torch.bfloat16, torch.float16) else value
    if isinstance(value, (list, tuple)):
        return type(value)(to_float32(v) for v in value)
    if isinstance(value, dict):
        return {k: to_float32(v) for k, v in value.items()}
    return value


def register_autocast(model: nn.Module, names: Sequence[str],
                      dtype: torch.dtype = torch.bfloat16) -> List[RemovableHandle]:
    """Run the named submodules of ``model`` under autocast, outputs as float32.

    The autocast device is that of the submodule's first tensor argument. Hooks
    stay until the returned handles are removed (:func:`autocast_submodules`
    removes them on exit).

    Args:
        model: A detector, or a (DDP) wrapper with ``.module``.
        names: Dotted submodule names, e.g. ``'roi_head.bbox_head'``; a name the
            model lacks (an RPN has no ``roi_head``) is skipped.
        dtype: The autocast dtype.

    Returns:
        The forward-pre and forward hook handles.

    Example:
        >>> model = nn.Sequential(nn.Linear(2, 2))
        >>> handles = register_autocast(model, ['0'])
        >>> model(torch.ones(1, 2)).dtype
        torch.float32
    """
    model = getattr(model, 'module', model)
    contexts: List[torch.autocast] = []

    def enter(module, args):
        device = next((a.device.type for a in args if isinstance(a, torch.Tensor)), 'cpu')
        contexts.append(torch.autocast(device, dtype=dtype))
        contexts[-1].__enter__()

    def leave(module, args, output):
        contexts.pop().__exit__(None, None, None)
        return to_float32(output)

    handles = []
    for name in names:
        try:
            module = model.get_submodule(name)
        except AttributeError:
            continue
        handles += [module.register_forward_pre_hook(enter), module.register_forward_hook(leave)]
    handles.append(_ExitOpen(contexts))
    return handles


class _ExitOpen:
    """Closes the autocast contexts a forward that raised left open (on ``remove``)."""

    def __init__(self, contexts: List[torch.autocast]) -> None:
        self.contexts = contexts

    def remove(self) -> None:
        while self.contexts:
            self.contexts.pop().__exit__(None, None, None)


@contextmanager
def autocast_submodules(model: nn.Module, names: Sequence[str],
                        dtype: torch.dtype = torch.bfloat16) -> Iterator[None]:
    """:func:`register_autocast` for the duration of a ``with`` block."""
    handles = register_autocast(model, names, dtype)
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


#: ``make demo PRECISION=...`` / ``tools/demo.py --precision``.
PRECISION_CHOICES = ('auto', 'fp32', 'amp')


class Precision(NamedTuple):
    """A training precision and why it was chosen.

    Attributes:
        mode: ``'fp32'`` or ``'amp'``.
        reason: One sentence for the log.
        emulated: ``'amp'`` on a CPU without native bf16, where oneDNN emulates
            bf16 (slower than float32); only when forced.
    """
    mode: str
    reason: str
    emulated: bool = False


def choose_precision(requested: str = 'auto') -> Precision:
    """Mixed precision where this machine runs it natively, float32 elsewhere.

    Args:
        requested: ``'auto'``, or ``'fp32'`` / ``'amp'`` to force either.

    Raises:
        ValueError: ``requested`` is not one of :data:`PRECISION_CHOICES`.

    Example:
        >>> choose_precision('fp32').mode
        'fp32'
    """
    if requested not in PRECISION_CHOICES:
        raise ValueError(f'precision {requested!r}: choose one of {PRECISION_CHOICES} '
                         '(e.g. make demo PRECISION=fp32)')
    if accelerator_available():
        native, where = True, 'an accelerator is available (fp16 autocast, loss scaling)'
    elif cpu_has_native_bf16():
        native, where = True, 'this CPU has native bf16 (AVX512-BF16 or AMX)'
    else:
        native, where = False, 'this CPU has no native bf16 (AVX2 only)'
    if requested == 'fp32':
        return Precision('fp32', f'float32 as requested ({where})')
    if requested == 'amp':
        return Precision('amp', f'mixed precision as requested ({where}'
                         + ('' if native else '; bf16 is emulated, slower than float32') + ')',
                         emulated=not native)
    if native:
        return Precision('amp', f'mixed precision because {where}; PRECISION=fp32 forces float32')
    return Precision('fp32', f'float32 because {where}, where emulated bf16 is slower; '
                     'PRECISION=amp forces mixed precision')
