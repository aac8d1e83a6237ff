"""A faster inference path for two-stage detectors, switched on by one option.

* Conv + BN folding (mmcv's ``fuse_conv_bn``): one conv instead of conv, BN.
* Channels-last memory format: oneDNN's preferred CPU layout, and a free
  channels-last view for mmfpn's RoIAlign.
* ``torch.inference_mode`` instead of ``no_grad``.
* Optional bf16 autocast of the conv and fc layers (backbone, neck, RPN head
  convs, box head fcs); RoI pooling, box decoding and NMS stay in fp32.

Numerics: folding changes each conv's float rounding (w' = w * g / s, b' = ...),
so fp32 outputs differ from the stock path by float rounding only (measured on
the tiny val split: identical labels, boxes within 1e-3). bf16 keeps 8 bits of
mantissa in the trunk and changes the numbers; its mAP change is reported in
docs/performance.md.
"""
import functools

import torch
from mmcv.cnn import fuse_conv_bn

from mmfpn.precision import DENSE_MODULES, register_autocast


def make_fast(model: torch.nn.Module, bf16: bool = False) -> torch.nn.Module:
    """Fold BN, go channels-last, and (optionally) run the conv and fc layers in bf16.

    Args:
        model: An mmdet detector in eval mode (``extract_feat`` and ``test_step``).
        bf16: Autocast backbone + neck, the RPN head's convs and the box head's fc
            layers to bfloat16; box decoding, NMS and RoI pooling stay fp32.

    Returns:
        The same module, changed in place.
    """
    model.eval()
    fuse_conv_bn(model)
    model.to(memory_format=torch.channels_last)
    extract_feat = model.extract_feat

    @functools.wraps(extract_feat)
    def channels_last_extract_feat(batch_inputs: torch.Tensor):
        return extract_feat(batch_inputs.contiguous(memory_format=torch.channels_last))

    model.extract_feat = channels_last_extract_feat
    if bf16:
        register_autocast(model, DENSE_MODULES, torch.bfloat16)
    model.test_step = torch.inference_mode()(model.test_step)
    return model
