"""``tools/export_openvino.py``: load a config, build, make fast, convert, save the IR."""
import os
import os.path as osp
from typing import Tuple

import torch
from mmdet.apis import init_detector

from mmfpn.config.load import ConfigError, load_config
from mmfpn.deploy.fast import make_fast
from mmfpn.deploy.openvino import convert_dense, import_openvino, save_dense_ir


def export_dense_ir(config: str, checkpoint: str, out_dir: str,
                    example_size: Tuple[int, int] = (512, 512)) -> str:
    """``tools/export_openvino.py``: write ``OUT_DIR/<config name>_dense.xml`` (+ .bin).

    The dense part of the fast path (BN folded), traced at ``example_size`` and
    checked against torch; the IR accepts any batch, height and width.

    Raises:
        ConfigError: a missing checkpoint or a bad config.
        ImportError: OpenVINO is not installed (the message says how to install it).
        OpenVINOConversionError: the converted model differs from torch.
    """
    import_openvino()
    if not osp.isfile(checkpoint):
        raise ConfigError(f'checkpoint {checkpoint!r} does not exist')
    cfg = load_config(config)
    model = make_fast(init_detector(cfg, checkpoint, device='cpu'))
    os.makedirs(out_dir, exist_ok=True)
    name = osp.splitext(osp.basename(config))[0]
    example = torch.zeros(1, 3, *example_size)
    return save_dense_ir(convert_dense(model, example), osp.join(out_dir, f'{name}_dense.xml'))
