"""RoI max pooling: mmcv's sub-pixel bins and the paper's grid-rounded RoIs.

Both semantics are checked against slow loop-by-loop transcriptions of the reference
kernels (mmcv's CUDA kernel; Fast R-CNN's Caffe layer, which Detectron and
torchvision's ``roi_pool`` follow), forward and gradient, over random and hostile
RoIs; plus the totality cases shared with RoIAlign.
"""
import math

import numpy as np
import pytest
import torch

from mmfpn.models.roi_extractors.paper_roi_extractor import PaperRoIExtractor
from mmfpn.ops.roi_pool import RoIPool, mmcv_has_kernel, roi_pool


def _c_round(v):
    """C's round(): halves away from zero."""
    return math.copysign(math.floor(abs(v) + 0.5), v)


def reference_roi_pool(feat, rois, out_h, out_w, scale, round_rois=False):
    """Output and arg-max (flat h*W+w per channel, -1 when empty), loop by loop.

    ``round_rois=False``: mmcv's CUDA kernel in float32. ``True``: Caffe's
    ``ROIPoolingLayer`` (rounded corners, size ``max(end - start + 1, 1)``).
    """
    f = feat.detach().float().numpy()
    _, c, height, width = f.shape
    out = np.zeros((len(rois), c, out_h, out_w), np.float32)
    arg = np.full(out.shape, -1, np.int64)
    s = np.float32(scale)
    for n, roi in enumerate(rois.float().numpy()):
        if round_rois:
            x1, y1 = _c_round(roi[1] * s), _c_round(roi[2] * s)
            rw = np.float32(max(_c_round(roi[3] * s) - x1 + 1, 1))
            rh = np.float32(max(_c_round(roi[4] * s) - y1 + 1, 1))
        else:
            x1, y1 = roi[1] * s, roi[2] * s
            rw = (roi[3] + np.float32(1)) * s - x1
            rh = (roi[4] + np.float32(1)) * s - y1
            if rw <= 0 or rh <= 0:
                continue
        bw, bh = rw / np.float32(out_w), rh / np.float32(out_h)

        def edges(p, b, start, limit):
            if round_rois:
                lo = int(np.floor(np.float32(p) * b)) + int(start)
                hi = int(np.ceil(np.float32(p + 1) * b)) + int(start)
            else:
                lo = int(np.floor(np.float32(p) * b + start))
                hi = int(np.ceil(np.float32(p + 1) * b + start))
            return min(max(lo, 0), limit), min(max(hi, 0), limit)

        for ph in range(out_h):
            hs, he = edges(ph, bh, y1, height)
            for pw in range(out_w):
                ws, we = edges(pw, bw, x1, width)
                for ch in range(c):
                    best, best_i = (0.0, -1) if (he <= hs or we <= ws) else (-np.inf, -1)
                    for h in range(hs, he):
                        for w in range(ws, we):
                            if f[int(roi[0]), ch, h, w] > best:
                                best, best_i = f[int(roi[0]), ch, h, w], h * width + w
                    out[n, ch, ph, pw], arg[n, ch, ph, pw] = best, best_i
    return torch.from_numpy(out), torch.from_numpy(arg)


def hand_cases():
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
        [0, 6, 6, 10, 10],        # corners on .5 after scaling: C rounding, not even
        [1, -1e6, -1e6, 1e6, 1e6],  # huge, finite
    ])
    return feat, rois


def random_rois(n, seed):
    gen = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=gen) * torch.tensor([90.0, 70]) - 10
    wh = torch.rand(n, 2, generator=gen) * 60 - 5  # some inverted
    return torch.cat([torch.randint(0, 2, (n, 1), generator=gen).float(), xy, xy + wh], 1)


@pytest.mark.parametrize('round_rois', [False, True])
@pytest.mark.parametrize('out_size', [(7, 7), (2, 3), (14, 14)])
def test_matches_reference_forward_and_backward(round_rois, out_size):
    feat, rois = hand_cases()
    rois = torch.cat([rois, random_rois(30, out_size[0])])
    feat.requires_grad_(True)
    out = roi_pool(feat, rois, out_size, 0.25, round_rois)
    expected, argmax = reference_roi_pool(feat, rois, *out_size, 0.25, round_rois)
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


def test_rounding_is_what_separates_the_paper_from_mmcv():
    """RoI (1.4, 1.4)-(1.4, 1.4) on a ramp, one bin: the paper rounds it to pixel
    (1, 1) = 5; mmcv bins [floor(1.4), ceil(2.4)) = pixels 1..2, maximum (2, 2) = 10."""
    ramp = torch.arange(16.0).view(1, 1, 4, 4)
    roi = torch.tensor([[0, 1.4, 1.4, 1.4, 1.4]])
    assert roi_pool(ramp, roi, 1, 1.0, round_rois=True).item() == 5.0
    assert roi_pool(ramp, roi, 1, 1.0, round_rois=False).item() == 10.0
    # 2.5 rounds away from zero (C), not to even: start pixel 3 -> value 15.
    assert roi_pool(ramp, torch.tensor([[0, 2.5, 2.5, 2.5, 2.5]]), 1, 1.0, True).item() == 15.0


def test_many_rois_in_chunks_matches_reference(monkeypatch):
    monkeypatch.setattr('mmfpn.ops.roi_pool._GATHER_BUDGET', 2000)
    feat = torch.randn(2, 2, 20, 24)
    rois = random_rois(40, 3)
    for round_rois in (False, True):
        torch.testing.assert_close(roi_pool(feat, rois, (3, 3), 0.25, round_rois),
                                   reference_roi_pool(feat, rois, 3, 3, 0.25, round_rois)[0],
                                   rtol=0, atol=0)


@pytest.mark.parametrize('dtype', [torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize('channels_last', [False, True])
def test_dtypes_and_layouts_pool_exactly(dtype, channels_last):
    """Max pooling is exact in any dtype; bin edges come from float32 RoIs."""
    feat, rois = hand_cases()
    feat = feat.to(dtype)
    if channels_last:
        feat = feat.contiguous(memory_format=torch.channels_last)
    for round_rois in (False, True):
        out = roi_pool(feat, rois, 7, 0.25, round_rois)
        assert out.dtype == dtype
        assert torch.equal(out.float(), reference_roi_pool(feat, rois, 7, 7, 0.25, round_rois)[0])


@pytest.mark.parametrize('bad_roi,message', [
    ([0, float('nan'), 10, 100, 100], 'non-finite'),
    ([0, 5, 5, float('inf'), 60], 'non-finite'),
    ([2, 5, 5, 20, 20], 'batch index'),
    ([0.5, 5, 5, 20, 20], 'batch index'),
    ([0, -3e38, 5, 3e38, 20], 'overflows'),
])
@pytest.mark.parametrize('round_rois', [False, True])
def test_invalid_rois_raise_naming_the_roi(bad_roi, message, round_rois):
    feat, _ = hand_cases()
    with pytest.raises(ValueError, match=rf'roi_pool: RoI 1 = .*{message}'):
        roi_pool(feat, torch.tensor([[0, 1.0, 1, 9, 9], bad_roi]), 7, 1.0, round_rois)


def test_no_rois_batch_zero_and_empty_maps():
    for batch in (0, 2):
        out = roi_pool(torch.zeros(batch, 3, 8, 8, dtype=torch.float16), torch.zeros(0, 5), 7)
        assert out.shape == (0, 3, 7, 7) and out.dtype == torch.float16
    out = roi_pool(torch.zeros(1, 3, 0, 0), torch.tensor([[0, 1.0, 1, 5, 5]]), 7, 0.25, True)
    assert torch.equal(out, torch.zeros(1, 3, 7, 7))


def test_module_runs_on_cpu_and_in_the_extractor():
    assert not mmcv_has_kernel('cpu')  # mmcv 2.1 has no CPU RoIPool kernel
    feat, rois = hand_cases()
    torch.testing.assert_close(RoIPool(7, 0.25)(feat, rois), roi_pool(feat, rois, (7, 7), 0.25))
    paper = PaperRoIExtractor(dict(type='RoIPool', output_size=7, round_rois=True), 3, [4])
    assert isinstance(paper.roi_layers[0], RoIPool) and paper.roi_layers[0].round_rois
    torch.testing.assert_close(paper([feat], rois), roi_pool(feat, rois, 7, 0.25, True))


@pytest.mark.skipif(not torch.cuda.is_available(), reason='mmcv RoIPool kernel needs CUDA')
def test_matches_mmcv_cuda_kernel():
    from mmcv.ops import roi_pool as mmcv_roi_pool
    feat, rois = hand_cases()
    keep = rois[:, 3] >= rois[:, 1] - 1  # malformed RoIs differ by design (docstring)
    expected = mmcv_roi_pool(feat.cuda(), rois[keep].cuda(), (7, 7), 0.25).cpu()
    torch.testing.assert_close(roi_pool(feat, rois[keep], (7, 7), 0.25), expected)


@pytest.mark.parametrize('round_rois', [False, True])
def test_empty_rois_and_empty_maps_keep_a_zero_gradient_path(round_rois):
    for feat, rois in ((torch.rand(1, 2, 5, 5), torch.zeros(0, 5)),
                       (torch.zeros(1, 2, 0, 0), torch.tensor([[0.0, 1, 1, 3, 3]]))):
        feat = feat.requires_grad_()
        out = roi_pool(feat, rois, 7, 1.0, round_rois)
        assert out.requires_grad
        out.sum().backward()
        assert torch.equal(feat.grad, torch.zeros_like(feat))
