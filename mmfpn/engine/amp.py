"""Mixed-precision training that works with and without CUDA (``--amp``).

mmengine 0.10.7's ``AmpOptimWrapper`` asserts a GPU/NPU/MLU. :class:`MixedPrecisionOptimWrapper`
is that wrapper wherever such a device exists (fp16 autocast of the whole model and
dynamic loss scaling: mmdet's ``--amp``), and on a CPU-only machine:

- **bf16 autocast of the dense parts only**: the modules named in ``cpu_modules``
  (backbone, neck, RPN head, box head by default) run under
  ``torch.autocast('cpu', torch.bfloat16)`` and hand float32 tensors to what follows.
  Box coding, NMS, target assignment, sampling, RoI pooling and the losses stay
  float32 (mmcv's NMS refuses bf16 boxes, and bf16's 8-bit mantissa would put
  box coordinates of a 1333-px image 4 px apart).
- **fp32 master weights, no loss scaling**: bf16 has float32's exponent range, so
  gradients do not underflow; the optimizer state is exactly ``OptimWrapper``'s,
  which is why checkpoints resume across precisions in both directions.
- **CPUs without native bf16** (no AVX512-BF16 / AMX; oneDNN would emulate it,
  slower than float32): ``cpu_bf16='auto'`` (default) trains in float32 and logs
  a warning saying so; ``'always'`` autocasts anyway (for accuracy checks),
  ``'never'`` is float32.
"""
import logging
from contextlib import contextmanager
from typing import Iterator, Optional, Sequence, Union

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS
from torch import nn

from mmfpn.config.load import ConfigError
from mmfpn.precision import (DENSE_MODULES, accelerator_available, autocast_submodules,
                             cpu_has_native_bf16)

#: Submodules autocast on a CPU (:data:`mmfpn.precision.DENSE_MODULES`).
CPU_AUTOCAST_MODULES = DENSE_MODULES
CPU_BF16_CHOICES = ('auto', 'always', 'never')


@OPTIM_WRAPPERS.register_module()
class MixedPrecisionOptimWrapper(AmpOptimWrapper):
    """``AmpOptimWrapper`` on an accelerator; bf16 autocast of the dense parts on a CPU.

    See the module docstring. Select it in a config (``optim_wrapper =
    dict(type='MixedPrecisionOptimWrapper', optimizer=...)``) or with ``--amp``.

    Args:
        loss_scale: mmengine's (accelerator only; bf16 on CPU needs none).
        dtype: mmengine's autocast dtype on an accelerator. On a CPU only
            ``None`` or ``'bfloat16'``: fp16 without loss scaling underflows.
        use_fsdp: mmengine's (accelerator only).
        cpu_modules: Submodules autocast on a CPU (:data:`CPU_AUTOCAST_MODULES`).
        cpu_bf16: ``'auto'``, ``'always'`` or ``'never'`` (module docstring).
        **kwargs: ``OptimWrapper``'s (optimizer, clip_grad, accumulative_counts).
    """

    def __init__(self,
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Optional[Union[str, torch.dtype]] = None,
                 use_fsdp: bool = False,
                 cpu_modules: Sequence[str] = CPU_AUTOCAST_MODULES,
                 cpu_bf16: str = 'auto',
                 **kwargs) -> None:
        if cpu_bf16 not in CPU_BF16_CHOICES:
            raise ValueError(f'MixedPrecisionOptimWrapper: cpu_bf16={cpu_bf16!r}; '
                             f'choose one of {CPU_BF16_CHOICES}')
        self.cpu_modules = tuple(cpu_modules)
        self.cpu_dtype: Optional[torch.dtype] = None
        if accelerator_available():
            super().__init__(loss_scale=loss_scale, dtype=dtype, use_fsdp=use_fsdp, **kwargs)
            return
        if dtype not in (None, 'bfloat16', torch.bfloat16):
            raise ValueError(f'MixedPrecisionOptimWrapper: dtype={dtype!r} on a CPU; CPU '
                             "mixed precision is bf16 (fp16 would need loss scaling): "
                             "remove dtype or set dtype='bfloat16'")
        OptimWrapper.__init__(self, **kwargs)
        self.loss_scaler = None
        self._scale_update_param = None
        self.cast_dtype = None
        if cpu_bf16 == 'always' or (cpu_bf16 == 'auto' and cpu_has_native_bf16()):
            self.cpu_dtype = torch.bfloat16
        elif cpu_bf16 == 'auto':
            print_log('mixed precision: this CPU has no native bf16 (AVX512-BF16 or AMX), '
                      'where emulated bf16 is slower than float32, so training runs in '
                      "float32. Set optim_wrapper.cpu_bf16='always' to autocast anyway.",
                      logger='current', level=logging.WARNING)

    @property
    def precision(self) -> str:
        """What the dense parts compute in: ``'float32'``, ``'bfloat16'`` (CPU
        autocast) or the accelerator's autocast dtype (``'float16'``...)."""
        if self.loss_scaler is not None:
            return str(self.cast_dtype or torch.float16).replace('torch.', '')
        return 'float32' if self.cpu_dtype is None else str(self.cpu_dtype).replace('torch.', '')

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        if self.loss_scaler is None:
            return OptimWrapper.backward(self, loss, **kwargs)
        return super().backward(loss, **kwargs)

    def step(self, **kwargs) -> None:
        if self.loss_scaler is None:
            return OptimWrapper.step(self, **kwargs)
        return super().step(**kwargs)

    def state_dict(self) -> dict:
        """``OptimWrapper``'s state on a CPU (no loss scaler to save)."""
        if self.loss_scaler is None:
            return OptimWrapper.state_dict(self)
        return super().state_dict()

    def load_state_dict(self, state_dict: dict) -> None:
        """Loads an fp32 or a mixed-precision checkpoint's state, from any device."""
        if self.loss_scaler is None:
            state_dict = {k: v for k, v in state_dict.items() if k != 'loss_scaler'}
            if 'base_param_settings' in state_dict:
                self.base_param_settings = state_dict.pop('base_param_settings')
            return OptimWrapper.load_state_dict(self, state_dict)
        return super().load_state_dict(state_dict)

    @contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        if self.loss_scaler is not None:
            with super().optim_context(model):
                yield
        elif self.cpu_dtype is None:
            with OptimWrapper.optim_context(self, model):
                yield
        else:
            with OptimWrapper.optim_context(self, model), \
                    autocast_submodules(model, self.cpu_modules, self.cpu_dtype):
                yield


def use_mixed_precision(cfg: Config, requested: bool) -> None:
    """Select :class:`MixedPrecisionOptimWrapper` for ``--amp``, or in place of
    mmengine's ``AmpOptimWrapper`` where that would assert a GPU (modifies ``cfg``).

    Raises:
        ConfigError: ``--amp`` with an optim wrapper it cannot replace.
    """
    wrapper = cfg.optim_wrapper
    kind = wrapper.get('type', 'OptimWrapper')
    if requested and kind == 'OptimWrapper':
        wrapper.type = 'MixedPrecisionOptimWrapper'
    elif requested and kind not in ('AmpOptimWrapper', 'MixedPrecisionOptimWrapper'):
        raise ConfigError(f'--amp replaces optim_wrapper.type OptimWrapper, but the config '
                         f'names {kind!r}; drop --amp or use MixedPrecisionOptimWrapper')
    if kind == 'AmpOptimWrapper' and not accelerator_available():
        print_log("optim_wrapper: mmengine's AmpOptimWrapper needs a GPU, NPU or MLU; "
                  'using MixedPrecisionOptimWrapper (bf16 on this CPU). Name '
                  "type='MixedPrecisionOptimWrapper' in the config to silence this.",
                  logger='current', level=logging.WARNING)
        wrapper.type = 'MixedPrecisionOptimWrapper'
