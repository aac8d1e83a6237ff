"""ImagePyramidSegmentProposer (Table 6's DeepMask-style baseline): the windows found
at each scale of the image pyramid land in the input image's coordinates."""
import pycocotools.mask as mask_util
import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope

CONFIG = 'configs/tiny/seg-proposal_r18-c4_image-pyramid_tiny.py'


def build(test_scales):
    init_default_scope('mmdet')
    cfg = Config.fromfile(CONFIG).model
    cfg.test_scales = test_scales
    cfg.test_cfg.max_per_img = 1000
    model = MODELS.build(cfg).eval()
    out = model.bbox_head.mlps[0].out
    with torch.no_grad():  # equal scores, every mask certain: each fills its window
        out.weight.zero_()
        out.bias.fill_(10.0)
    return model


def mask_boxes(model, size=128):
    sample = DetDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size),
                                         scale_factor=(1.0, 1.0)))
    with torch.no_grad():
        result, = model.predict(torch.randn(1, 3, size, size), [sample], rescale=False)
    masks = result.pred_instances.masks
    boxes = mask_util.toBbox([dict(m, counts=m['counts'].encode()) for m in masks])
    return sorted(tuple(int(v) for v in b) for b in boxes)


def clipped(centre, half, size=128):
    return max(centre - half, 0), min(centre + half, size)


def test_windows_at_half_scale_are_twice_as_large_in_the_input_image():
    # At 0.5 the 128 px input is 64 px: a 4 x 4 C4 map whose 80 px windows, centred
    # every 16 px, are 160 px windows centred every 32 px in the input.
    expected = sorted((x1, y1, x2 - x1, y2 - y1)
                      for cy in (16, 48, 80, 112) for cx in (16, 48, 80, 112)
                      for (x1, x2), (y1, y2) in [(clipped(cx, 80), clipped(cy, 80))])
    assert mask_boxes(build([0.5])) == expected


def test_every_scale_contributes_its_locations():
    assert len(mask_boxes(build([0.5, 1.0]))) == 16 + 64


def test_scales_must_be_positive():
    with pytest.raises(ValueError, match='test_scales'):
        build([0.0, 1.0])
