"""``tools/export_openvino.py``: load a config, build, make fast, convert, save the IR
(and, with ``int8``, calibrate on the training set and save the quantized IR)."""
import copy
import json
import os
import os.path as osp
from typing import List, Tuple

import numpy as np
import torch
from mmdet.apis import init_detector
from mmdet.registry import DATASETS
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from torch import nn

from mmfpn.config.load import ConfigError, ann_path, innermost_dataset, load_config
from mmfpn.datasets.tiny import ensure_tiny_for
from mmfpn.deploy.fast import make_fast
from mmfpn.deploy.int8 import DEFAULT_CALIB, import_nncf, quantize_dense
from mmfpn.deploy.openvino import (check_against_torch, convert_dense, import_openvino,
                                   save_dense_ir)


def export_dense_ir(config: str, checkpoint: str, out_dir: str,
                    example_size: Tuple[int, int] = (512, 512), int8: bool = False,
                    calib: int = DEFAULT_CALIB, calib_seed: int = 0) -> List[str]:
    """``tools/export_openvino.py``: write ``OUT_DIR/<config name>_dense.xml`` (+ .bin)
    and, with ``int8``, ``OUT_DIR/<config name>_dense_int8.xml``.

    The dense part of the fast path (BN folded), traced at ``example_size`` and
    checked against torch; the IR accepts any batch, height and width. The INT8 IR
    is the f32 one quantized by NNCF on ``calib`` images of the config's training set
    (drawn with ``calib_seed``) through its test pipeline (:func:`calibration_inputs`).

    Returns:
        The IR paths written.

    Raises:
        ConfigError: a missing checkpoint, a bad config, a training set without images.
        ImportError: OpenVINO (or, with ``int8``, NNCF) is not installed (the message
            says how to install it).
        OpenVINOConversionError: the converted model differs from torch.
    """
    import_openvino()
    if int8:
        import_nncf()
        if calib < 1:
            raise ConfigError(f'--calib {calib}: give the number of calibration images, '
                              f'e.g. {DEFAULT_CALIB}')
    if not osp.isfile(checkpoint):
        raise ConfigError(f'checkpoint {checkpoint!r} does not exist')
    cfg = load_config(config)
    model = make_fast(init_detector(cfg, checkpoint, device='cpu'))
    os.makedirs(out_dir, exist_ok=True)
    name = osp.splitext(osp.basename(config))[0]
    f32 = convert_dense(model, torch.zeros(1, 3, *example_size))
    written = [save_dense_ir(f32, osp.join(out_dir, f'{name}_dense.xml'))]
    if int8:
        inputs = calibration_inputs(cfg, model, calib, calib_seed)
        quantized = quantize_dense(f32, [x.numpy() for x in inputs])
        check_against_torch(model, quantized, inputs[0])
        written.append(save_dense_ir(quantized, osp.join(out_dir, f'{name}_dense_int8.xml')))
    return written


def calibration_inputs(cfg, model: nn.Module, count: int, seed: int = 0) -> List[torch.Tensor]:
    """``count`` images of ``cfg``'s training set (all of them when it has fewer), drawn
    at random with ``seed``, through the config's *test* pipeline and the model's data
    preprocessor: ``(1, 3, H, W)`` float32 each, what the dense part sees at test time.

    Raises:
        ConfigError: the training set has no images.
    """
    ensure_tiny_for(cfg)
    dataset_cfg = copy.deepcopy(innermost_dataset(cfg.train_dataloader.dataset))
    dataset_cfg.pipeline = copy.deepcopy(innermost_dataset(cfg.test_dataloader.dataset).pipeline)
    refusal = ConfigError(f'INT8 calibration reads the training set, and '
                          f'{dataset_cfg.get("ann_file")!r} has no usable image: point '
                          'train_dataloader at the images the model will see')
    path = ann_path(dataset_cfg)
    if path and path.endswith('.json') and osp.isfile(path):
        with open(path) as f:
            if not json.load(f).get('images'):   # mmdet's CocoDataset fails on none
                raise refusal
    with DefaultScope.overwrite_default_scope('mmdet'):
        dataset = DATASETS.build(dataset_cfg)
    if len(dataset) == 0:
        raise refusal
    chosen = np.random.default_rng(seed).permutation(len(dataset))[:count]
    with torch.no_grad():
        return [model.data_preprocessor(pseudo_collate([dataset[int(i)]]), False)['inputs'].float()
                for i in chosen]
