"""PaperRoIExtractor: Eq. (1), mmdet parity by construction, total on hostile input.

The RoI ops themselves are tested in ``tests/ops/``."""
import numpy as np
import pytest
import torch
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from mmdet.registry import MODELS

from mmfpn.models.roi_extractors.paper_roi_extractor import (PaperRoIExtractor, finest_scale,
                                                             map_rois_to_levels)
from mmfpn.ops.roi_align import RoIAlign

ALIGN = dict(type='RoIAlign', output_size=7, sampling_ratio=0)


def square_rois(sides):
    return torch.tensor([[0.0, 10.0, 10.0, 10.0 + s, 10.0 + s] for s in sides])


def test_level_assignment_golden_values():
    """Eq. (1), k = floor(4 + log2(sqrt(wh) / 224)) clamped to P2..P5."""
    sides = [20.0, 55.9, 111.9, 112.0, 223.9, 224.0, 447.9, 448.0, 1200.0]
    expected_k = [2, 2, 2, 3, 3, 4, 4, 5, 5]
    levels = map_rois_to_levels(square_rois(sides), finest_level=2, num_levels=4)
    assert (levels + 2).tolist() == expected_k


def test_level_assignment_uses_sqrt_area_not_side():
    rois = torch.tensor([[0.0, 0.0, 0.0, 448.0, 112.0],   # sqrt = 224 -> P4
                         [0.0, 0.0, 0.0, 50.0, 1003.0]])  # sqrt ~ 223.9 -> P3
    assert (map_rois_to_levels(rois, 2, 4) + 2).tolist() == [4, 3]


def test_single_level_and_canonical_constants():
    rois = square_rois([20.0, 500.0])
    assert map_rois_to_levels(rois, finest_level=2, num_levels=1).tolist() == [0, 0]
    # Halving the canonical scale moves every RoI one level up.
    assert (map_rois_to_levels(square_rois([112.0]), 2, 4, canonical_scale=112) + 2).tolist() == [4]


def random_rois(n, img_h, img_w, batch, seed=0):
    gen = torch.Generator().manual_seed(seed)
    scale = torch.exp(torch.empty(n).uniform_(np.log(8), np.log(600), generator=gen))
    ratio = torch.exp(torch.empty(n).uniform_(-1, 1, generator=gen))
    w, h = scale * ratio.sqrt(), scale / ratio.sqrt()
    cx = torch.rand(n, generator=gen) * img_w
    cy = torch.rand(n, generator=gen) * img_h
    b = torch.randint(0, batch, (n,), generator=gen).float()
    return torch.stack([b, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)


def pyramid(batch, channels, img_h, img_w, requires_grad=False):
    """P2..P5 of an ``img_h x img_w`` image (strides 4..32, sizes rounded up)."""
    h, w = -(-img_h // 4), -(-img_w // 4)
    feats = []
    for _ in range(4):
        feats.append(torch.randn(batch, channels, h, w, requires_grad=requires_grad))
        h, w = (h + 1) // 2, (w + 1) // 2
    return feats


@pytest.mark.parametrize('img', [(256, 320), (197, 263)])
def test_roi_align_identical_to_mmdet_single_roi_extractor(img):
    ours = PaperRoIExtractor(ALIGN, 8, [4, 8, 16, 32])
    stock = SingleRoIExtractor(ALIGN, 8, [4, 8, 16, 32], finest_scale=56)
    feats = pyramid(2, 8, *img)
    rois = torch.cat([random_rois(300, *img, batch=2), square_rois([111.9, 112, 224, 448])])
    levels = ours.map_roi_levels(rois, 4)
    assert torch.equal(levels, stock.map_roi_levels(rois, 4))
    assert set(levels.tolist()) == {0, 1, 2, 3}
    assert (ours(feats, rois) - stock(feats, rois)).abs().max().item() <= 1e-6
    assert (ours(feats, rois, 1.5) - stock(feats, rois, 1.5)).abs().max().item() <= 1e-6


@pytest.mark.parametrize('strides', [[4, 8, 16, 32], [4]], ids=['P2-P5', 'P2 only'])
def test_empty_rois_keep_a_zero_gradient_path(strides):
    """mmdet's extractor returns a graph-less tensor for no RoIs on one level; ours
    is connected, with zero gradients."""
    ext = PaperRoIExtractor(ALIGN, 8, strides)
    feats = pyramid(1, 8, 64, 64, requires_grad=True)[:len(strides)]
    out = ext(feats, torch.zeros(0, 5))
    assert out.shape == (0, 8, 7, 7)
    out.sum().backward()
    assert all(torch.equal(f.grad, torch.zeros_like(f)) for f in feats)


@pytest.mark.parametrize('side', [20.0, 400.0], ids=['all on P2', 'all on P5'])
def test_all_rois_on_one_level_reach_every_level(side):
    ext = PaperRoIExtractor(ALIGN, 8, [4, 8, 16, 32])
    feats = pyramid(1, 8, 512, 512, requires_grad=True)
    ext(feats, square_rois([side, side])).sum().backward()
    assert all(f.grad is not None for f in feats)


def test_empty_rois_and_unused_levels_keep_the_graph():
    ext = PaperRoIExtractor(ALIGN, 8, [4, 8, 16, 32])
    feats = pyramid(1, 8, 64, 64, requires_grad=True)
    out = ext(feats, square_rois([20.0]))  # only P2 gets a RoI
    out.sum().backward()
    assert all(f.grad is not None for f in feats)


def test_all_rois_on_level_boundaries():
    ext = PaperRoIExtractor(ALIGN, 8, [4, 8, 16, 32])
    stock = SingleRoIExtractor(ALIGN, 8, [4, 8, 16, 32], finest_scale=56)
    feats = pyramid(1, 8, 512, 512)
    rois = square_rois([56.0, 112.0, 224.0, 448.0])
    assert ext.map_roi_levels(rois, 4).tolist() == [0, 1, 2, 3]
    assert (ext(feats, rois) - stock(feats, rois)).abs().max().item() <= 1e-6


def test_validation_and_registry():
    assert isinstance(MODELS.build(dict(type='PaperRoIExtractor', roi_layer=ALIGN,
                                        out_channels=8, featmap_strides=[4, 8, 16, 32])),
                      PaperRoIExtractor)
    with pytest.raises(ValueError, match='powers of two'):
        PaperRoIExtractor(ALIGN, 8, [4, 8, 12, 32])
    with pytest.raises(ValueError, match='double'):
        PaperRoIExtractor(ALIGN, 8, [4, 16, 32])
    with pytest.raises(ValueError, match="unknown roi_layer type 'RoIMagic'"):
        PaperRoIExtractor(dict(type='RoIMagic', output_size=7), 8, [4, 8])
    ext = PaperRoIExtractor(ALIGN, 8, [4, 8, 16, 32])
    with pytest.raises(ValueError, match='got 5 feature maps'):
        ext(pyramid(1, 8, 64, 64) + [torch.zeros(1, 8, 1, 1)], square_rois([20.0]))


def test_is_mmdets_extractor_with_eq1_and_mmfpn_ops():
    ext = PaperRoIExtractor(ALIGN, 8, [4, 8, 16, 32])
    assert isinstance(ext, SingleRoIExtractor)
    assert ext.finest_scale == finest_scale(2) == 56.0
    assert finest_scale(3, canonical_scale=112) == 56.0
    assert all(isinstance(layer, RoIAlign) for layer in ext.roi_layers)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_half_precision_features(dtype):
    """fp16/bf16 features give that dtype, within the dtype's rounding of stock fp32."""
    ours = PaperRoIExtractor(ALIGN, 8, [4, 8, 16, 32])
    stock = SingleRoIExtractor(ALIGN, 8, [4, 8, 16, 32], finest_scale=56)
    feats = [f.to(dtype) for f in pyramid(2, 8, 256, 320)]
    rois = random_rois(200, 256, 320, batch=2)
    out = ours(feats, rois)
    assert out.dtype == dtype
    expected = stock([f.float() for f in feats], rois.to(dtype).float())
    rtol = 2.0**-10 if dtype == torch.float16 else 2.0**-7
    torch.testing.assert_close(out.float(), expected, rtol=rtol, atol=1e-4)


def test_batch_zero_on_every_level_count():
    for strides in ([4, 8, 16, 32], [4]):
        ext = PaperRoIExtractor(ALIGN, 8, strides)
        feats = [torch.zeros(0, 8, 16 // 2**i, 16 // 2**i) for i in range(len(strides))]
        assert ext(feats, torch.zeros(0, 5)).shape == (0, 8, 7, 7)


def test_non_finite_rois_are_refused_not_dropped():
    """A NaN box gets no level from Eq. (1); it must not silently pool nothing."""
    ext = PaperRoIExtractor(ALIGN, 8, [4, 8, 16, 32])
    rois = torch.cat([square_rois([20.0]), torch.tensor([[0, float('nan'), 10, 100, 100]])])
    with pytest.raises(ValueError, match=r'PaperRoIExtractor: RoI 1 = .*non-finite'):
        ext(pyramid(1, 8, 64, 64), rois)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_half_precision_rois_map_as_float32(dtype):
    """In fp16, w * h of a 300x300 RoI overflows (90000 > 65504): mapped in fp16 it
    would land on P5 instead of P4. Levels are computed in float32."""
    rois = square_rois([20.0, 111.9, 300.0, 500.0]).to(dtype)
    expected = map_rois_to_levels(rois.float(), 2, 4)
    assert (expected + 2).tolist() == [2, 2 if dtype == torch.float16 else 3, 4, 5]
    assert torch.equal(map_rois_to_levels(rois, 2, 4), expected)


def test_training_gradients_match_mmdet():
    """Training runs mmfpn's CPU RoIAlign through autograd: mmdet's gradients."""
    ours = PaperRoIExtractor(ALIGN, 8, [4, 8, 16, 32])
    stock = SingleRoIExtractor(ALIGN, 8, [4, 8, 16, 32], finest_scale=56)
    feats = pyramid(2, 8, 256, 320)
    rois = random_rois(300, 256, 320, batch=2)
    a = [f.clone().requires_grad_() for f in feats]
    b = [f.clone().requires_grad_() for f in feats]
    grad = torch.randn(300, 8, 7, 7, generator=torch.Generator().manual_seed(5))
    ours(a, rois).backward(grad)
    stock(b, rois).backward(grad)
    for x, y in zip(a, b):
        torch.testing.assert_close(x.grad, y.grad, atol=1e-5, rtol=1e-5)
