"""OpenVINO backend for the dense part of a detector (CPU deployment).

The dense part (backbone, neck and, for a two-stage detector, the RPN head's
convs) is converted once per model with ``openvino.convert_model`` and run by
OpenVINO's CPU plugin; everything after it stays mmdet's / mmfpn's: anchor
generation, proposal decoding and NMS, RoI extraction, the box head (torch,
BN-folded by :func:`~mmfpn.deploy.fast.make_fast`), box decoding.

* **Shapes.** The model is converted with a dynamic batch, height and width, so
  one compiled model serves every image size (static compilation is no faster:
  ``docs/openvino.md``).
* **Precision.** f32 by default; ``bf16=True`` asks OpenVINO's CPU plugin for
  bf16 inference (``INFERENCE_PRECISION_HINT``). On a CPU without native bf16
  the plugin keeps f32: the backend warns and reports ``precision == 'f32'``.
  The torch part stays fp32 in both cases.
* **Conversion failures.** A part OpenVINO cannot convert raises
  :class:`OpenVINOConversionError` naming the failed operations; so does a
  converted model whose outputs differ from torch's on an input other than the
  tracing example (:func:`check_against_torch`: it catches ops that tracing
  froze into constants, and an IR exported from another checkpoint). The
  request is refused rather than silently run on torch.
* **Dependency.** OpenVINO is imported lazily: mmfpn and its configs work
  without it; asking for the backend without it raises an ``ImportError``
  with the install command.

Example:
    >>> model = use_openvino(make_fast(detector))      # doctest: +SKIP
    >>> results = model.test_step(data)                 # doctest: +SKIP
"""
import os.path as osp
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from mmfpn.precision import cpu_has_native_bf16, register_autocast

#: The pinned OpenVINO release (requirements.txt), named by the install hint.
OPENVINO_REQUIREMENT = 'openvino==2026.4.1'
#: OpenVINO f32 vs torch, relative to each output's largest magnitude: a frozen or
#: wrong op is off by far more, float rounding by far less (``docs/openvino.md``).
CHECK_RTOL = 1e-3
#: An INT8 model (FakeQuantize ops, :mod:`mmfpn.deploy.int8`) against the f32 torch
#: trunk: relative L2 error of each output on the random probe. INT8 rounding gives
#: 0.01-0.17 there, another model's IR about 1 (``docs/openvino.md``).
INT8_CHECK_L2 = 0.35
#: What still runs in torch with ``bf16=True`` and is autocast there (the fc layers).
OPENVINO_TORCH_BF16_MODULES = ('roi_head.bbox_head',)


class OpenVINOConversionError(RuntimeError):
    """OpenVINO could not convert (or load) the detector's dense part."""


def import_openvino():
    """``import openvino``, or an ``ImportError`` that says how to install it."""
    try:
        import openvino
    except ImportError as err:
        raise ImportError(
            f'the OpenVINO backend needs OpenVINO, which is not installed: '
            f'pip install {OPENVINO_REQUIREMENT} (`make setup` installs it)') from err
    return openvino


class DenseTrunk(nn.Module):
    """A detector's dense part as one module, the graph given to OpenVINO.

    Args:
        detector: An mmdet detector with ``backbone`` (and ``neck``, ``rpn_head``
            where it has them).

    ``forward(inputs)`` takes the preprocessed batch ``(N, 3, H, W)`` and returns
    the ``L`` pyramid maps, then, when the detector has an RPN, its ``L`` class
    score maps ``(N, A, H_l, W_l)`` and ``L`` box delta maps ``(N, 4A, H_l, W_l)``.
    """

    def __init__(self, detector: nn.Module) -> None:
        super().__init__()
        self.backbone = detector.backbone
        self.neck = detector.neck if getattr(detector, 'with_neck', False) else None
        self.rpn_head = detector.rpn_head if getattr(detector, 'with_rpn', False) else None

    def forward(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        feats = self.backbone(inputs)
        if self.neck is not None:
            feats = self.neck(feats)
        feats = tuple(feats)
        if self.rpn_head is None:
            return feats
        cls_scores, bbox_preds = self.rpn_head(feats)
        return (*feats, *cls_scores, *bbox_preds)


def convert_dense(detector: nn.Module, example_input: Tensor):
    """Convert the detector's dense part to an ``openvino.Model``, and check it.

    Args:
        detector: An mmdet detector in eval mode (fp32; fold BN first with
            :func:`~mmfpn.deploy.fast.make_fast` to convert fewer ops).
        example_input: ``(N, 3, H, W)`` float32, a preprocessed batch used for
            tracing; the converted model accepts any ``N, H, W``.

    Returns:
        The ``openvino.Model`` with one input ``(?, 3, ?, ?)``, checked against
        torch by :func:`check_against_torch`.

    Raises:
        OpenVINOConversionError: Naming the operations OpenVINO failed on, or the
            outputs that disagree with torch.
    """
    ov = import_openvino()
    trunk = DenseTrunk(detector).eval()
    with torch.no_grad(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always', torch.jit.TracerWarning)
        try:
            model = ov.convert_model(trunk, example_input=example_input.float().contiguous(),
                                     input=[ov.PartialShape([-1, 3, -1, -1])])
        except Exception as err:  # OpenVINO's OpConversionFailure and friends
            raise OpenVINOConversionError(
                f'OpenVINO could not convert the dense part (backbone, neck, RPN head) '
                f'of {type(detector).__name__}: {err}. Use the torch path (drop '
                f'--backend openvino) for this model.') from err
    tracer_warnings = [str(w.message) for w in caught
                       if issubclass(w.category, torch.jit.TracerWarning)]
    for w in caught:  # the others are not ours to swallow
        if not issubclass(w.category, torch.jit.TracerWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    check_against_torch(detector, model, example_input, tracer_warnings)
    return model


def check_against_torch(detector: nn.Module, model: Any, example_input: Tensor,
                        tracer_warnings: Sequence[str] = ()) -> None:
    """Refuse an OpenVINO model whose f32 outputs differ from the torch trunk's.

    Tracing records only torch operations: an op implemented outside torch (for
    example a C++ extension called from a Python autograd function, like mmcv's
    deformable convolutions) is frozen into a constant for the tracing input,
    and OpenVINO converts it without complaint. So the check runs both on a
    *different* input: ``example_input``'s batch, 32 pixels taller and wider,
    random with its mean and spread.

    Args:
        detector: The detector the model was converted from (or must match).
        model: An ``openvino.Model`` of :class:`DenseTrunk`'s outputs.
        example_input: ``(N, 3, H, W)``, the tracing example (or any batch).
        tracer_warnings: torch's tracer warnings, quoted in the error.

    Raises:
        OpenVINOConversionError: Naming the first differing output, the modules
            that run non-torch code, and the tracer's warnings.
    """
    ov = import_openvino()
    n, c, h, w = example_input.shape
    gen = torch.Generator().manual_seed(0)
    probe = (torch.randn(n, c, h + 32, w + 32, generator=gen)
             * example_input.float().std().clamp_min(1.0) + example_input.float().mean())
    trunk = DenseTrunk(detector).eval()
    with torch.no_grad():
        expected = trunk(probe)
    compiled = ov.Core().compile_model(model, 'CPU', {'INFERENCE_PRECISION_HINT': 'f32'})
    try:
        outputs = compiled(probe.numpy())
        got = [torch.from_numpy(outputs[i]) for i in range(len(model.outputs))]
        problem = _first_difference(got, expected, quantized=is_quantized(model))
    except RuntimeError as err:  # e.g. a shape frozen by tracing
        problem = f'it fails on a {tuple(probe.shape)} input ({str(err).splitlines()[-1]})'
    if problem is None:
        return
    custom = [f'{name} ({type(m).__name__})' for name, m in trunk.named_modules()
              if type(m).__module__.startswith('mmcv.ops')]
    raise OpenVINOConversionError(
        f'the OpenVINO model of the dense part of {type(detector).__name__} does not '
        f'compute what torch computes: {problem}. Modules running code outside torch '
        f'(traced as constants): {custom or "none found"}. Tracer warnings: '
        f'{tracer_warnings[:3] or "none"}. Use the torch path (drop --backend openvino), '
        f'or export the IR from this very config and checkpoint.')


class OpenVINODense:
    """The dense part compiled for OpenVINO's CPU plugin; torch tensors in and out.

    Args:
        model: An ``openvino.Model`` from :func:`convert_dense`, or the path of an
            IR (``.xml``) written by ``tools/export_openvino.py``.
        bf16: Ask for bf16 inference (kept f32, with a warning, where the CPU has
            no native bf16).
        num_threads: OpenVINO's inference threads; torch's thread count if None.
    """

    def __init__(self, model: Any, bf16: bool = False,
                 num_threads: Optional[int] = None) -> None:
        ov = import_openvino()
        if isinstance(model, str):
            model = read_ir(model)
        if len(model.inputs) != 1 or model.inputs[0].get_partial_shape().rank.get_length() != 4:
            raise OpenVINOConversionError(
                f'the OpenVINO model must take one (N, 3, H, W) image batch, it has inputs '
                f'{[str(i.get_partial_shape()) for i in model.inputs]}')
        # The plugin writes every output channels-last (NHWC), the layout mmfpn's
        # RoIAlign reads without a copy (what that saves: docs/openvino.md).
        # The IR itself stays NCHW (export writes the model, not this compilation).
        model = _nhwc_outputs(model.clone())
        # bf16 is asked for only where oneDNN runs it natively (as torch sees the CPU);
        # elsewhere the plugin would keep f32 anyway, or, with oneDNN capped below the
        # CPU's ISA (ONEDNN_MAX_CPU_ISA=AVX2), fail to compile.
        config = {'PERFORMANCE_HINT': 'LATENCY',
                  'INFERENCE_NUM_THREADS': num_threads or torch.get_num_threads(),
                  'INFERENCE_PRECISION_HINT': 'bf16' if bf16 and cpu_has_native_bf16() else 'f32'}
        self.compiled = ov.Core().compile_model(model, 'CPU', config)
        #: What the plugin runs: 'f32' or 'bf16'.
        self.precision: str = self.compiled.get_property('INFERENCE_PRECISION_HINT').get_type_name()
        if bf16 and self.precision != 'bf16':
            warnings.warn('OpenVINO: this CPU has no native bf16 support, the dense part '
                          f'runs in {self.precision} (same detections as without --bf16)')
        self.num_outputs = len(model.outputs)
        self._request = self.compiled.create_infer_request()

    def __call__(self, inputs: Tensor) -> List[Tensor]:
        """Run the dense part.

        Args:
            inputs: ``(N, 3, H, W)`` preprocessed images (any float dtype).

        Returns:
            The :class:`DenseTrunk` outputs, ``(N, C, H, W)`` float32 torch tensors
            in channels-last memory, copied out of the request's buffers (which
            the next call overwrites).
        """
        array = inputs.detach().float().contiguous().cpu().numpy()
        outputs = self._request.infer(array, share_inputs=True, share_outputs=True)
        return [torch.from_numpy(outputs[i]).clone().permute(0, 3, 1, 2)
                for i in range(self.num_outputs)]


def use_openvino(detector: nn.Module, bf16: bool = False, ir: Optional[str] = None,
                 num_threads: Optional[int] = None) -> nn.Module:
    """Run a built detector's dense part in OpenVINO, the rest unchanged.

    The dense part is converted at the first forward (its batch is the tracing
    example) unless ``ir`` names an IR written by ``tools/export_openvino.py``.
    ``extract_feat`` returns OpenVINO's pyramid; the RPN head's ``forward``
    returns OpenVINO's score and delta maps when called on that pyramid (as
    mmdet's ``TwoStageDetector.predict`` does) and runs in torch otherwise.

    An IR is checked against the detector's torch trunk at the first forward
    (:func:`check_against_torch`): one from another checkpoint is refused.

    Args:
        detector: An mmdet detector in eval mode, usually after
            :func:`~mmfpn.deploy.fast.make_fast` (BN folded).
        bf16: OpenVINO bf16 inference for the dense part (see the module doc), and
            the box head's fc layers, which stay in torch, under bf16 autocast.
        ir: Path of an IR ``.xml`` to load instead of converting.
        num_threads: OpenVINO inference threads (torch's count if None).

    Returns:
        The same module, changed in place; ``detector.openvino`` is the
        :class:`OpenVINODense` once it exists.
    """
    import_openvino()
    detector.eval()
    rpn_head = detector.rpn_head if getattr(detector, 'with_rpn', False) else None
    torch_rpn_forward = rpn_head.forward if rpn_head is not None else None
    pending: Dict[str, Tuple[Tuple[Tensor, ...], Tuple[List[Tensor], List[Tensor]]]] = {}

    def dense(batch_inputs: Tensor) -> List[Tensor]:
        if getattr(detector, 'openvino', None) is None:
            if ir is None:
                model = convert_dense(detector, batch_inputs)
            else:
                model = read_ir(ir)
                check_against_torch(detector, model, batch_inputs)
            detector.openvino = OpenVINODense(model, bf16=bf16, num_threads=num_threads)
        return detector.openvino(batch_inputs)

    def extract_feat(batch_inputs: Tensor) -> Tuple[Tensor, ...]:
        outputs = dense(batch_inputs)
        levels = len(outputs) // 3 if rpn_head is not None else len(outputs)
        # Channels-last already (OpenVINODense): mmfpn's RoIAlign reads these maps
        # without a copy.
        feats = tuple(outputs[:levels])
        if rpn_head is None:
            return feats
        pending['rpn'] = (feats, (outputs[levels:2 * levels], outputs[2 * levels:]))
        return feats

    def rpn_forward(x: Sequence[Tensor]):
        cached = pending.pop('rpn', None)
        if cached is not None and cached[0] is x:
            return cached[1]
        return torch_rpn_forward(x)

    detector.openvino = None
    detector.extract_feat = extract_feat
    if rpn_head is not None:
        rpn_head.forward = rpn_forward
    if bf16:
        # The box head's fc layers stay in torch: in bf16 there too, as on the torch
        # fast path (docs/openvino.md, Precision).
        register_autocast(detector, OPENVINO_TORCH_BF16_MODULES)
    return detector


def is_quantized(model: Any) -> bool:
    """Whether an ``openvino.Model`` holds quantization (NNCF's FakeQuantize ops)."""
    return any(op.get_type_name() == 'FakeQuantize' for op in model.get_ops())


def _first_difference(got: Sequence[Tensor], expected: Sequence[Tensor],
                      quantized: bool = False) -> Optional[str]:
    """How the OpenVINO outputs first differ from torch's beyond ``CHECK_RTOL`` (an
    INT8 model: beyond ``INT8_CHECK_L2``)."""
    if len(got) != len(expected):
        return f'{len(got)} outputs where the torch trunk has {len(expected)}'
    for i, (g, e) in enumerate(zip(got, expected)):
        if g.shape != e.shape:
            return f'output {i} has shape {tuple(g.shape)}, torch {tuple(e.shape)}'
        if quantized:
            error = ((g - e).norm() / e.norm().clamp_min(1e-12)).item()
            if error > INT8_CHECK_L2:
                return (f'INT8 output {i} differs from torch by {error:.2f} of its norm '
                        f'(INT8 rounding stays below {INT8_CHECK_L2})')
            continue
        diff, scale = (g - e).abs().max().item(), e.abs().max().item()
        if diff > CHECK_RTOL * max(1.0, scale):
            return f'output {i} differs from torch by {diff:.3g} (max |torch| {scale:.3g})'
    return None


def _nhwc_outputs(model: Any):
    """``model`` (changed in place) with its outputs' tensors in NHWC layout.

    Raises:
        OpenVINOConversionError: An output is not a 4-D ``(N, C, H, W)`` map.
    """
    ov = import_openvino()
    from openvino.preprocess import PrePostProcessor
    ppp = PrePostProcessor(model)
    for i, output in enumerate(model.outputs):
        if output.get_partial_shape().rank.get_length() != 4:
            raise OpenVINOConversionError(
                f'OpenVINO dense model output {i} has shape {output.get_partial_shape()}; '
                'the backend expects (N, C, H, W) maps (DenseTrunk\'s outputs)')
        ppp.output(i).model().set_layout(ov.Layout('NCHW'))
        ppp.output(i).tensor().set_layout(ov.Layout('NHWC'))
    return ppp.build()


def read_ir(path: str):
    """Read an IR ``.xml`` (its ``.bin`` beside it) as an ``openvino.Model``."""
    ov = import_openvino()
    if not osp.isfile(path):
        raise FileNotFoundError(f'OpenVINO IR {path!r} does not exist; write one with '
                                'tools/export_openvino.py CONFIG CHECKPOINT OUT_DIR')
    return ov.Core().read_model(path)


def save_dense_ir(model: Any, out_file: str) -> str:
    """Write an ``openvino.Model`` as IR (``out_file`` .xml + .bin), weights in f32."""
    ov = import_openvino()
    if not out_file.endswith('.xml'):
        raise ValueError(f'an OpenVINO IR path ends with .xml, got {out_file!r}')
    ov.save_model(model, out_file, compress_to_fp16=False)
    return out_file
