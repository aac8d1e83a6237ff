"""Build detectors with stock mmdet only (never mmfpn) and save their raw outputs.

    python stock_mmdet_forward.py OUT.npz CONFIG [CONFIG ...]

Each model gets weights that are a function of the parameter's name alone
(:func:`fill_weights`) and one fixed input of odd size (:func:`fixed_inputs`), so a
process with mmfpn builds the mmfpn model, fills and runs it the same way and
compares (tests/deploy/test_export_every_config.py). The outputs are those of
``mode='tensor'``: RPN scores and deltas per level, then the RoI head's.
"""
import sys
import zlib
from typing import Dict, List

import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

#: (height, width) of the one test image: odd, not a multiple of any stride.
IMAGE_HW = (157, 203)


def fill_weights(model: torch.nn.Module) -> None:
    """Deterministic weights from each state_dict entry's name (He-scaled convs and
    fcs; norms near identity), the same in any process."""
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if not tensor.is_floating_point():
                continue
            gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
            noise = torch.randn(tensor.shape, generator=gen)
            if name.endswith('running_var'):
                value = 1 + 0.1 * noise.abs()
            elif name.endswith('running_mean') or name.endswith('bias'):
                value = 0.1 * noise
            elif tensor.dim() == 1:
                value = 1 + 0.1 * noise
            else:
                value = noise * (2 / tensor[0].numel()) ** 0.5
            tensor.copy_(value)


def fixed_inputs(num_proposals: int = 64) -> dict:
    """One image and its data sample (with proposals, for Fast R-CNN)."""
    gen = torch.Generator().manual_seed(0)
    height, width = IMAGE_HW
    image = torch.randint(0, 256, (3, height, width), generator=gen, dtype=torch.uint8)
    xy = torch.rand(num_proposals, 2, generator=gen) * torch.tensor([width, height]) * 0.8
    wh = 4 + torch.rand(num_proposals, 2, generator=gen) ** 2 * torch.tensor([width, height])
    proposals = InstanceData(bboxes=torch.cat([xy, (xy + wh).minimum(
        torch.tensor([width, height]))], 1), scores=torch.rand(num_proposals, generator=gen))
    sample = DetDataSample(metainfo=dict(img_shape=(height, width), ori_shape=(height, width),
                                         scale_factor=(1.0, 1.0)), proposals=proposals)
    return dict(inputs=[image], data_samples=[sample])


def flat_outputs(out) -> List[torch.Tensor]:
    """The tensors of a ``mode='tensor'`` result, nested tuples and lists flattened."""
    if isinstance(out, torch.Tensor):
        return [out]
    return [t for item in out for t in flat_outputs(item)]


def tensor_outputs(model: torch.nn.Module) -> List[torch.Tensor]:
    """``model`` filled by :func:`fill_weights`, run in eval mode on
    :func:`fixed_inputs`."""
    fill_weights(model)
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(fixed_inputs(), False)
        return flat_outputs(model(data['inputs'], data['data_samples'], mode='tensor'))


def main() -> None:
    out, *configs = sys.argv[1:]
    init_default_scope('mmdet')
    arrays: Dict[str, torch.Tensor] = {}
    for i, path in enumerate(configs):
        model = MODELS.build(Config.fromfile(path).model)
        for j, t in enumerate(tensor_outputs(model)):
            arrays[f'{i}_{j}'] = t
    torch.save(arrays, out)
    print('mmfpn imported:', 'mmfpn' in sys.modules)


if __name__ == '__main__':
    main()
