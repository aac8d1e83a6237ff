"""PaperRoIExtractor and RoIPool on CPU: Eq. (1), mmdet parity, mmcv semantics."""
import numpy as np
import pytest
import torch
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from mmdet.registry import MODELS

from mmfpn.models.roi_extractors.paper_roi_extractor import PaperRoIExtractor, map_rois_to_levels
from mmfpn.ops.roi_align import RoIAlign, roi_align
from mmfpn.ops.roi_pool import RoIPool, mmcv_has_kernel, roi_pool

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


def test_empty_rois_and_unused_levels_keep_the_graph():
    ext = PaperRoIExtractor(ALIGN, 8, [4, 8, 16, 32])
    feats = pyramid(1, 8, 64, 64, requires_grad=True)
    out = ext(feats, torch.zeros(0, 5))
    assert out.shape == (0, 8, 7, 7)
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


# --- RoIPool: mmcv's CUDA kernel, transcribed loop by loop in float32 ------------
def reference_roi_pool(feat, rois, out_h, out_w, scale):
    """Output and arg-max (flat h*W+w per channel, -1 when empty) like mmcv."""
    f = feat.detach().numpy()
    _, c, height, width = f.shape
    out = np.zeros((len(rois), c, out_h, out_w), np.float32)
    arg = np.full(out.shape, -1, np.int64)
    s = np.float32(scale)
    for n, roi in enumerate(rois.numpy().astype(np.float32)):
        x1, y1 = roi[1] * s, roi[2] * s
        x2, y2 = (roi[3] + np.float32(1)) * s, (roi[4] + np.float32(1)) * s
        rw, rh = x2 - x1, y2 - y1
        if rw <= 0 or rh <= 0:
            continue
        bw, bh = rw / np.float32(out_w), rh / np.float32(out_h)
        for ph in range(out_h):
            hs = min(max(int(np.floor(np.float32(ph) * bh + y1)), 0), height)
            he = min(max(int(np.ceil(np.float32(ph + 1) * bh + y1)), 0), height)
            for pw in range(out_w):
                ws = min(max(int(np.floor(np.float32(pw) * bw + x1)), 0), width)
                we = min(max(int(np.ceil(np.float32(pw + 1) * bw + x1)), 0), width)
                for ch in range(c):
                    best, best_i = (0.0, -1) if (he <= hs or we <= ws) else (-np.inf, -1)
                    for h in range(hs, he):
                        for w in range(ws, we):
                            if f[int(roi[0]), ch, h, w] > best:
                                best, best_i = f[int(roi[0]), ch, h, w], h * width + w
                    out[n, ch, ph, pw], arg[n, ch, ph, pw] = best, best_i
    return torch.from_numpy(out), torch.from_numpy(arg)


def roi_pool_cases():
    gen = torch.Generator().manual_seed(1)
    feat = torch.randn(2, 3, 13, 17, generator=gen)
    feat[0, :, 2:5, 2:5] = 1.5  # ties: the first in row-major order wins
    rois = torch.tensor([
        [0, 0, 0, 67, 51],        # whole map (stride 4)
        [1, 5.3, 7.9, 30.2, 40.6],
        [0, 8, 8, 19, 19],        # over the tie plateau
        [1, -20, -10, 10, 12],    # partly outside
        [0, 60, 45, 100, 80],     # mostly outside: empty bins
        [0, 30, 30, 30, 30],      # a point
        [1, 20, 20, 3, 25],       # malformed (x2 < x1 - 1)
        [0, 1, 2, 66, 6],         # elongated
    ])
    return feat, rois


@pytest.mark.parametrize('out_size', [(7, 7), (2, 3)])
def test_roi_pool_matches_reference_forward_and_backward(out_size):
    feat, rois = roi_pool_cases()
    feat.requires_grad_(True)
    out = roi_pool(feat, rois, out_size, 0.25)
    expected, argmax = reference_roi_pool(feat, rois, *out_size, 0.25)
    assert torch.equal(out.detach(), expected)
    grad_out = torch.randn(out.shape, generator=torch.Generator().manual_seed(2))
    out.backward(grad_out)
    expected_grad = torch.zeros_like(feat).view(2, 3, -1)
    for n in range(rois.size(0)):
        for ch in range(3):
            for idx, g in zip(argmax[n, ch].flatten().tolist(), grad_out[n, ch].flatten()):
                if idx >= 0:
                    expected_grad[int(rois[n, 0]), ch, idx] += g
    torch.testing.assert_close(feat.grad, expected_grad.view_as(feat))


def test_roi_pool_many_rois_in_chunks_matches_reference(monkeypatch):
    monkeypatch.setattr('mmfpn.ops.roi_pool._GATHER_BUDGET', 2000)
    feat = torch.randn(2, 2, 20, 24)
    rois = random_rois(40, 80, 96, batch=2, seed=3)
    torch.testing.assert_close(roi_pool(feat, rois, (3, 3), 0.25),
                               reference_roi_pool(feat, rois, 3, 3, 0.25)[0], rtol=0, atol=0)


def test_roi_pool_module_runs_on_cpu_and_in_the_extractor():
    assert not mmcv_has_kernel('cpu')  # mmcv 2.1 has no CPU RoIPool kernel
    feat, rois = roi_pool_cases()
    torch.testing.assert_close(RoIPool(7, 0.25)(feat, rois), roi_pool(feat, rois, (7, 7), 0.25))
    ext = PaperRoIExtractor(dict(type='RoIPool', output_size=7), 3, [4])
    assert isinstance(ext.roi_layers[0], RoIPool)
    torch.testing.assert_close(ext([feat], rois), roi_pool(feat, rois, (7, 7), 0.25))


@pytest.mark.skipif(not torch.cuda.is_available(), reason='mmcv RoIPool kernel needs CUDA')
def test_roi_pool_matches_mmcv_cuda_kernel():
    from mmcv.ops import roi_pool as mmcv_roi_pool
    feat, rois = roi_pool_cases()
    keep = rois[:, 3] >= rois[:, 1] - 1  # malformed RoIs differ by design (docstring)
    expected = mmcv_roi_pool(feat.cuda(), rois[keep].cuda(), (7, 7), 0.25).cpu()
    torch.testing.assert_close(roi_pool(feat, rois[keep], (7, 7), 0.25), expected)


# --- RoIAlign on the CPU: mmcv's numbers from all cores ---------------------------
@pytest.mark.parametrize('sampling_ratio,aligned', [(0, True), (2, False), (3, True)])
@pytest.mark.parametrize('stride,size', [(4, (50, 77)), (32, (7, 10))])
def test_roi_align_matches_mmcv_forward_and_backward(sampling_ratio, aligned, stride, size):
    from mmcv.ops import roi_align as mmcv_roi_align
    gen = torch.Generator().manual_seed(stride)
    feat = torch.randn(2, 5, *size, generator=gen)
    rois = torch.cat([random_rois(200, size[0] * stride, size[1] * stride, 2, seed=stride),
                      torch.tensor([[0, -50., -50, -10, -10],      # outside: zeros
                                    [1, 0, 0, 0, 0],               # zero size
                                    [0, 0, 0, 2000, 1500]])])      # over the border
    a, b = feat.clone().requires_grad_(), feat.clone().requires_grad_()
    expected = mmcv_roi_align(a, rois, (7, 7), 1 / stride, sampling_ratio, 'avg', aligned)
    ours = roi_align(b, rois, (7, 7), 1 / stride, sampling_ratio, aligned)
    assert (ours - expected).abs().max().item() <= 1e-6
    grad = torch.randn(expected.shape, generator=gen)
    expected.backward(grad)
    ours.backward(grad)
    torch.testing.assert_close(b.grad, a.grad, atol=1e-5, rtol=1e-5)


def test_roi_align_module_uses_the_cpu_path_and_mmcv_elsewhere(monkeypatch):
    layer = RoIAlign(7, 0.25, 0)
    feat, rois = torch.randn(1, 3, 16, 16), square_rois([20.0])
    calls = []
    monkeypatch.setattr('mmfpn.ops.roi_align.roi_align', lambda *a: calls.append(a) or 0)
    layer(feat, rois)
    assert len(calls) == 1
    assert isinstance(PaperRoIExtractor(ALIGN, 3, [4]).roi_layers[0], RoIAlign)
    max_mode = RoIAlign(7, 0.25, 0, pool_mode='max')
    assert max_mode(feat, rois).shape == (1, 3, 7, 7) and len(calls) == 1  # mmcv's
