"""INT8 for the OpenVINO backend: NNCF's post-training quantization of the dense part.

The IR of :func:`~mmfpn.deploy.openvino.convert_dense` (backbone, neck, RPN head convs,
BN folded) gets FakeQuantize operations on the inputs and weights of its convolutions
(NNCF's ``quantize``: per-channel 8-bit weights, 8-bit activations with ranges from
calibration images, fast bias correction); OpenVINO's CPU plugin then runs those
convolutions in integer arithmetic (VNNI / AMX where the CPU has them). The dense
part's outputs (the pyramid maps and the RPN's score and delta maps) stay f32
tensors; everything after them runs in torch in f32 as with the f32 backend:
proposal decoding and NMS, Eq. (1) and RoIAlign, the box head's fc layers, box
decoding and NMS (``docs/openvino.md``).

NNCF is imported lazily: without it, asking for INT8 raises an ``ImportError`` with
the install command.
"""
from typing import Any, Optional, Sequence

import numpy as np

#: The pinned NNCF release (requirements.txt), named by the install hint.
NNCF_REQUIREMENT = 'nncf==3.4.0'
#: Calibration images by default (``tools/export_openvino.py --calib``); chosen by
#: measurement in ``docs/openvino.md``.
DEFAULT_CALIB = 100


def import_nncf():
    """``import nncf``, or an ``ImportError`` that says how to install it."""
    try:
        import nncf
    except ImportError as err:
        raise ImportError(f'INT8 export needs NNCF, which is not installed: pip install '
                          f'{NNCF_REQUIREMENT} (`make setup` installs it)') from err
    return nncf


def quantize_dense(model: Any, calibration: Sequence[np.ndarray],
                   ignored: Optional[Sequence[str]] = None) -> Any:
    """NNCF post-training INT8 quantization of a dense-part ``openvino.Model``.

    Args:
        model: The f32 model of :func:`~mmfpn.deploy.openvino.convert_dense`.
        calibration: Preprocessed images ``(1, 3, H, W)`` float32, as the detector's
            data preprocessor gives them (any sizes).
        ignored: Names of operations to keep in floating point (NNCF's ignored scope).

    Raises:
        ValueError: ``calibration`` is empty.
    """
    nncf = import_nncf()
    if len(calibration) == 0:
        raise ValueError('INT8 calibration needs at least one image')
    scope = nncf.IgnoredScope(names=list(ignored), validate=True) if ignored else None
    return nncf.quantize(model, nncf.Dataset(list(calibration)), subset_size=len(calibration),
                         ignored_scope=scope)
