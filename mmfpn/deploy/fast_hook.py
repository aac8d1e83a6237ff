"""``tools/test.py --fast``: the fast path (and the OpenVINO backend) as a test hook."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.registry import HOOKS
from torch import nn

from mmfpn.deploy.fast import make_fast
from mmfpn.deploy.openvino import import_openvino, use_openvino

BACKENDS = ('torch', 'openvino')


def apply_fast_path(detector: nn.Module, bf16: bool = False, backend: str = 'torch',
                    ir: Optional[str] = None) -> nn.Module:
    """:func:`make_fast` on ``detector`` (in place), its dense part in OpenVINO with
    ``backend='openvino'`` (from ``ir`` when given)."""
    if backend == 'openvino':
        return use_openvino(make_fast(detector), bf16=bf16, ir=ir)
    return make_fast(detector, bf16=bf16)


@HOOKS.register_module()
class FastInferenceHook(Hook):
    """Apply :func:`apply_fast_path` to the runner's detector before testing.

    Runs after the checkpoint is loaded (mmengine loads it before ``before_test``).
    ``tools/test.py --fast [--bf16] [--backend openvino [--ir IR.xml]]`` adds it. A
    detector inside sliced inference (``--slice``) is made fast in its wrapper.

    Args:
        bf16: bf16 for the dense part (torch autocast, or OpenVINO's hint).
        backend: ``'torch'`` or ``'openvino'`` (the dense part in OpenVINO, see
            :mod:`mmfpn.deploy.openvino`).
        ir: With ``backend='openvino'``, an IR ``.xml`` to load instead of
            converting the model.
    """

    def __init__(self, bf16: bool = False, backend: str = 'torch',
                 ir: Optional[str] = None) -> None:
        if backend not in BACKENDS:
            raise ValueError(f'FastInferenceHook: backend must be one of {BACKENDS}, '
                             f'got {backend!r}')
        if ir is not None and backend != 'openvino':
            raise ValueError(f"FastInferenceHook: ir={ir!r} needs backend='openvino'")
        if backend == 'openvino':
            import_openvino()  # fail before the checkpoint loads, not after
        self.bf16 = bf16
        self.backend = backend
        self.ir = ir

    def before_test(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if isinstance(model, BaseTTAModel):
            model = model.module
        apply_fast_path(model, self.bf16, self.backend, self.ir)
