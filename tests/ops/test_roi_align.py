"""mmfpn's CPU RoIAlign: mmcv's numbers on every valid input, a ValueError otherwise.

Differential against mmcv's compiled CPU kernel over random and hostile RoIs, plus
the cases the RoIAlign tests of detectron2, torchvision and mmcv check (golden
values on a linear ramp, empty boxes, channels-last, mixed dtypes, tracing).
"""
import subprocess
import sys
import textwrap

import pytest
import torch
from mmcv.ops import roi_align as mmcv_roi_align

from mmfpn.ops.roi_align import RoIAlign, roi_align

HALF = {torch.float16: 2.0**-10, torch.bfloat16: 2.0**-7}  # relative spacing of the dtype


def mixed_rois(n, height, width, stride, batch, seed, aligned):
    """RoIs inside, across and far outside a ``height x width`` map (in image pixels),
    degenerate (zero width or height), points, and, when ``aligned`` is False,
    inverted boxes (mmcv clamps their size to 1)."""
    gen = torch.Generator().manual_seed(seed)
    img_h, img_w = height * stride, width * stride
    x1 = torch.empty(n).uniform_(-0.5 * img_w, 1.5 * img_w, generator=gen)
    y1 = torch.empty(n).uniform_(-0.5 * img_h, 1.5 * img_h, generator=gen)
    w = torch.empty(n).uniform_(0, img_w, generator=gen)
    h = torch.empty(n).uniform_(0, img_h, generator=gen)
    kind = torch.randint(0, 6, (n,), generator=gen)
    w = torch.where(kind == 0, torch.zeros_like(w), w)          # zero width
    h = torch.where(kind == 1, torch.zeros_like(h), h)          # zero height
    far = kind == 2                                             # far outside
    x1 = torch.where(far, x1 + 1e4 * torch.sign(x1 - img_w / 2), x1)
    if not aligned:
        w = torch.where(kind == 3, -w, w)                       # inverted
    b = torch.randint(0, batch, (n,), generator=gen).float()
    return torch.stack([b, x1, y1, x1 + w, y1 + h], 1)


def features(batch, channels, height, width, seed, channels_last=False, dtype=torch.float32):
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(batch, channels, height, width, generator=gen).to(dtype)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


# --- golden values --------------------------------------------------------------
@pytest.mark.parametrize('aligned,expected_first_row', [
    # A 4x4 RoIAlign of box (1, 1, 3, 3) over the ramp v(y, x) = 5y + x, one sample
    # per bin at its centre: without the half-pixel shift the centres are
    # 1.25..2.75, with it 0.75..2.25, so the first row is v(1.25, 1.25..2.75) resp.
    # v(0.75, 0.75..2.25) and every row adds 5 * 0.5 (detectron2 checks the same).
    (False, [7.5, 8.0, 8.5, 9.0]),
    (True, [4.5, 5.0, 5.5, 6.0]),
])
def test_golden_values_on_a_linear_ramp(aligned, expected_first_row):
    ramp = torch.arange(25.0).view(1, 1, 5, 5)
    box = torch.tensor([[0.0, 1.0, 1.0, 3.0, 3.0]])
    out = roi_align(ramp, box, (4, 4), 1.0, 0, aligned)[0, 0]
    expected = torch.tensor(expected_first_row)[None, :] + 2.5 * torch.arange(4.0)[:, None]
    assert torch.equal(out, expected)


def test_empty_box_aligned_gives_zeros():
    """A zero-size box has no samples once aligned (detectron2's empty-box case)."""
    feat = torch.rand(1, 2, 5, 5) + 1
    out = roi_align(feat, torch.tensor([[0.0, 2.0, 2.0, 2.0, 2.0]]), 7, 1.0, 0, True)
    assert torch.equal(out, torch.zeros(1, 2, 7, 7))
    # Unaligned, mmcv clamps the size to one pixel: a 1x1 neighbourhood average.
    out = roi_align(feat, torch.tensor([[0.0, 2.0, 2.0, 2.0, 2.0]]), 1, 1.0, 1, False)
    assert out[0, 0].item() == pytest.approx(feat[0, 0, 2:4, 2:4].mean().item(), abs=1e-6)


# --- differential against mmcv's CPU kernel ----------------------------------------
@pytest.mark.parametrize('seed', range(4))
@pytest.mark.parametrize('output_size', [7, 14])
@pytest.mark.parametrize('sampling_ratio', [0, 2])
@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('dtype,channels_last', [
    (torch.float32, False), (torch.float32, True), (torch.float64, False)])
def test_matches_mmcv_on_mixed_rois(seed, output_size, sampling_ratio, aligned, dtype,
                                    channels_last):
    height, width, stride = 13, 19, 4
    feat = features(2, 3, height, width, seed, channels_last, dtype)
    rois = mixed_rois(60, height, width, stride, 2, seed, aligned).to(dtype)
    # mmcv 2.1's CPU kernel reads channels-last memory as if it were NCHW (wrong
    # values), so its reference answer is taken on contiguous features.
    expected = mmcv_roi_align(feat.contiguous(), rois, output_size, 1 / stride,
                              sampling_ratio, 'avg', aligned)
    ours = roi_align(feat, rois, output_size, 1 / stride, sampling_ratio, aligned)
    assert ours.dtype == dtype
    assert (ours - expected).abs().max().item() <= 1e-5


@pytest.mark.parametrize('sampling_ratio,aligned', [(0, True), (2, False)])
def test_gradient_matches_mmcv(sampling_ratio, aligned):
    """Autograd through the sparse product gives mmcv's backward formula."""
    feat = features(2, 3, 13, 19, 4)
    rois = mixed_rois(60, 13, 19, 4, 2, 4, aligned)
    a, b = feat.clone().requires_grad_(), feat.clone().requires_grad_()
    expected = mmcv_roi_align(a, rois, 7, 0.25, sampling_ratio, 'avg', aligned)
    ours = roi_align(b, rois, 7, 0.25, sampling_ratio, aligned)
    grad = torch.randn(expected.shape, generator=torch.Generator().manual_seed(0))
    expected.backward(grad)
    ours.backward(grad)
    torch.testing.assert_close(b.grad, a.grad, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
@pytest.mark.parametrize('aligned,sampling_ratio', [(True, 0), (False, 2)])
def test_half_precision_is_mmcv_float32_rounded_once(dtype, aligned, sampling_ratio):
    """fp16/bf16: mmcv's float32 answer on the same half-rounded inputs, rounded once
    to the dtype, i.e. within one unit of the dtype's relative spacing."""
    feat = features(2, 4, 13, 19, 5, dtype=dtype)
    rois = mixed_rois(80, 13, 19, 4, 2, 5, aligned).to(dtype)
    ours = roi_align(feat, rois, 7, 0.25, sampling_ratio, aligned)
    assert ours.dtype == dtype
    expected = mmcv_roi_align(feat.float(), rois.float(), 7, 0.25, sampling_ratio, 'avg',
                              aligned)
    torch.testing.assert_close(ours.float(), expected, rtol=HALF[dtype], atol=1e-5)


@pytest.mark.parametrize('budget', [2000, 50_000])
def test_split_products_give_the_same_answer(monkeypatch, budget):
    feat = features(2, 3, 13, 19, 7)
    rois = mixed_rois(60, 13, 19, 4, 2, 7, True)
    expected = mmcv_roi_align(feat, rois, 7, 0.25, 0, 'avg', True)
    monkeypatch.setattr('mmfpn.ops.roi_align._NNZ_BUDGET', budget)
    assert (roi_align(feat, rois, 7, 0.25, 0, True) - expected).abs().max().item() <= 1e-5


def test_huge_finite_rois_match_mmcv_with_a_fixed_sampling_ratio():
    feat = features(2, 3, 13, 19, 3)
    rois = torch.tensor([[0, 5, 5, 1e9, 60], [0, -1e9, -1e9, 30, 30], [1, -3e38, 0, 3e38, 40],
                         [1, 1e30, 1e30, 1e30 + 8, 1e30 + 8]])
    expected = mmcv_roi_align(feat, rois[:2], 7, 0.25, 2, 'avg', True)
    assert (roi_align(feat, rois[:2], 7, 0.25, 2, True) - expected).abs().max() <= 1e-5
    out = roi_align(feat, rois[3:], 7, 0.25, 2, True)  # far outside: nothing sampled
    assert torch.equal(out, torch.zeros_like(out))
    with pytest.raises(ValueError, match=r'RoI 2 .* overflows'):  # width 6e38 > float32 max
        roi_align(feat, rois, 7, 1.0, 2, True)


# --- hostile input: an error naming the RoI, never a read outside the map -----------
@pytest.mark.parametrize('bad_roi,message', [
    ([0, float('nan'), 10, 100, 100], 'non-finite'),
    ([0, 5, 5, float('inf'), 60], 'non-finite'),
    ([0, -float('inf'), 1, 30, 30], 'non-finite'),
    ([2, 5, 5, 20, 20], 'batch index'),
    ([-1, 5, 5, 20, 20], 'batch index'),
    ([0.5, 5, 5, 20, 20], 'batch index'),
    ([0, 30, 5, 20, 20], 'x2 < x1'),
])
@pytest.mark.parametrize('channels_last', [False, True])
def test_invalid_rois_raise_naming_the_roi(bad_roi, message, channels_last):
    feat = features(2, 3, 13, 19, 0, channels_last)
    rois = torch.tensor([[0, 1.0, 1, 9, 9], bad_roi])
    with pytest.raises(ValueError, match=rf'roi_align: RoI 1 = .*{message}'):
        roi_align(feat, rois, 7, 0.25, 0, True)


def test_sample_count_beyond_budget_raises_with_the_fix():
    feat = features(2, 3, 13, 19, 0)
    with pytest.raises(ValueError, match=r'RoI 0 .*set sampling_ratio > 0'):
        roi_align(feat, torch.tensor([[1, 5, 5, 1e9, 60.0]]), 7, 0.25, 0, True)


@pytest.mark.parametrize('seed', range(3))
def test_outputs_stay_within_what_interpolation_can_produce(seed):
    feat = features(2, 3, 13, 19, seed) * 2 - 1
    gen = torch.Generator().manual_seed(seed)
    rois = torch.cat([torch.randint(0, 2, (200, 1), generator=gen).float(),
                      (torch.rand(200, 4, generator=gen) - 0.5) * 10.0**torch.randint(
                          0, 7, (200, 1), generator=gen)], 1)
    rois[:, 3:] = torch.maximum(rois[:, 3:], rois[:, 1:3])
    out = roi_align(feat, rois, 7, 0.25, 2, True)
    assert out.min() >= min(feat.min(), 0) - 1e-6 and out.max() <= max(feat.max(), 0) + 1e-6


# --- gradients of degenerate RoIs (total backward) ---------------------------------
DEGENERATE = {
    # detectron2's test_empty_box: zero height on a 5x5 map, aligned.
    'zero-area': (torch.tensor([[0.0, 3.0, 4.0, 5.0, 4.0]]), True),
    'zero-area, unaligned (clamped to 1 px)': (torch.tensor([[0.0, 3.0, 4.0, 5.0, 4.0]]), False),
    'outside the map': (torch.tensor([[0.0, 40.0, 40.0, 60.0, 70.0], [0, -90, -90, -70, -60]]), True),
    'empty set': (torch.zeros(0, 5), True),
}


@pytest.mark.parametrize('case', DEGENERATE)
def test_degenerate_rois_have_mmcvs_gradient(case):
    """Whatever the RoIs, the output carries a gradient path to the features and the
    gradient is mmcv's (zeros where nothing is sampled), never an autograd error."""
    rois, aligned = DEGENERATE[case]
    feat = features(1, 2, 5, 5, 0)
    a, b = feat.clone().requires_grad_(), feat.clone().requires_grad_()
    mmcv_roi_align(a, rois, 7, 1.0, 0, 'avg', aligned).sum().backward()
    out = roi_align(b, rois, 7, 1.0, 0, aligned)
    assert out.requires_grad
    out.sum().backward()
    torch.testing.assert_close(b.grad, a.grad, atol=1e-6, rtol=0)


@pytest.mark.parametrize('feat', [torch.full((1, 2, 5, 5), float('nan')), torch.zeros(1, 2, 0, 0)],
                         ids=['non-finite features', 'empty map'])
def test_nothing_sampled_gives_zero_gradient(feat):
    """When no RoI samples a pixel, the gradient is exactly zero: the path reads no
    feature value, so NaN or Inf features do not leak into it."""
    feat = feat.requires_grad_()
    out = roi_align(feat, torch.tensor([[0.0, 3.0, 4.0, 5.0, 4.0]]), 7, 1.0, 0, True)
    assert torch.equal(out, torch.zeros(1, 2, 7, 7))
    out.sum().backward()
    assert torch.equal(feat.grad, torch.zeros_like(feat))


# --- empty inputs, layouts, tracing ----------------------------------------------
@pytest.mark.parametrize('dtype', [torch.float32, torch.float16, torch.bfloat16])
def test_no_rois_and_batch_zero(dtype):
    for batch in (0, 2):
        out = roi_align(torch.zeros(batch, 3, 8, 8, dtype=dtype), torch.zeros(0, 5), 7, 0.25)
        assert out.shape == (0, 3, 7, 7) and out.dtype == dtype
    with pytest.raises(ValueError, match='batch index'):
        roi_align(torch.zeros(0, 3, 8, 8), torch.tensor([[0, 1.0, 1, 5, 5]]), 7, 0.25)


def test_empty_feature_map_gives_zeros():
    out = roi_align(torch.zeros(1, 3, 0, 0), torch.tensor([[0, 1.0, 1, 5, 5]]), 7, 0.25)
    assert torch.equal(out, torch.zeros(1, 3, 7, 7))


def test_channels_last_and_contiguous_agree_exactly():
    feat = features(2, 5, 13, 19, 1)
    rois = mixed_rois(50, 13, 19, 4, 2, 1, True)
    a = roi_align(feat, rois, 7, 0.25, 0, True)
    b = roi_align(feat.contiguous(memory_format=torch.channels_last), rois, 7, 0.25, 0, True)
    assert torch.equal(a, b)


def test_module_dispatch(monkeypatch):
    """Our kernel on the CPU in avg mode, training included; mmcv's for max mode."""
    calls = []
    monkeypatch.setattr('mmfpn.ops.roi_align.roi_align', lambda *a: calls.append(a) or 0)
    feat, rois = features(1, 3, 16, 16, 0), torch.tensor([[0, 1.0, 1, 20, 20]])
    RoIAlign(7, 0.25, 0)(feat, rois)
    RoIAlign(7, 0.25, 0)(feat.requires_grad_(), rois)           # training
    assert len(calls) == 2
    RoIAlign(7, 0.25, 0, pool_mode='max')(feat.detach(), rois)  # max mode: mmcv
    assert len(calls) == 2


def test_no_gradient_reaches_the_rois():
    feat = features(1, 3, 16, 16, 0).requires_grad_()
    rois = torch.tensor([[0, 1.0, 1, 20, 20]], requires_grad=True)
    roi_align(feat, rois, 7, 0.25).sum().backward()
    assert rois.grad is None and feat.grad is not None


def test_module_feeds_mmcv_contiguous_features():
    """mmcv's kernel misreads channels-last memory; the module hands it NCHW."""
    feat = features(2, 3, 13, 19, 2)
    rois = mixed_rois(30, 13, 19, 4, 2, 2, True)
    layer = RoIAlign(7, 0.25, 0, pool_mode='max')  # a mode that runs mmcv's kernel
    expected = layer(feat, rois)
    assert torch.equal(layer(feat.contiguous(memory_format=torch.channels_last), rois), expected)


def test_traced_extractor_with_another_roi_count_never_crashes():
    """A trace replays mmcv's op (no sparse matrix baked for the traced RoI count):
    run in a child process so that a crash would fail the test, not the suite."""
    script = textwrap.dedent('''
        import torch
        from mmfpn.models import PaperRoIExtractor
        ext = PaperRoIExtractor(dict(type='RoIAlign', output_size=7, sampling_ratio=0),
                                4, [4, 8, 16, 32]).eval()
        feats = [torch.rand(1, 4, 64 // 2**i, 64 // 2**i) for i in range(4)]
        rois = lambda n: torch.cat([torch.zeros(n, 1), torch.rand(n, 2) * 100,
                                    100 + torch.rand(n, 2) * 150], 1)
        with torch.no_grad():
            traced = torch.jit.trace(ext, (feats, rois(3)), check_trace=False)
            try:
                out = traced(feats, rois(5))
                print('ran', tuple(out.shape))
            except RuntimeError as err:
                print('error', type(err).__name__)
    ''')
    done = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[0] in ('ran', 'error')
