"""PaperFPN: parity with mmdet's FPN, the paper's ablations, validation."""
import pytest
import torch
from mmdet.models.necks import FPN
from mmdet.registry import MODELS

from mmfpn.models.necks.paper_fpn import PaperFPN

IN_CHANNELS = [16, 24, 32, 40]


def pyramid_inputs(h: int, w: int, batch: int = 2, requires_grad: bool = False):
    """C2..C5 with ResNet's size rule (each level ceil(H/2) of the previous)."""
    feats = []
    for c in IN_CHANNELS:
        feats.append(torch.randn(batch, c, h, w, requires_grad=requires_grad))
        h, w = (h + 1) // 2, (w + 1) // 2
    return feats


def init_random(module: torch.nn.Module) -> None:
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.1)


@pytest.mark.parametrize('size', [(32, 48), (33, 47), (25, 25), (7, 9)])
def test_identical_to_mmdet_fpn(size):
    ours = PaperFPN(IN_CHANNELS, 8, num_outs=5)
    stock = FPN(IN_CHANNELS, 8, num_outs=5, add_extra_convs=False)
    init_random(ours)
    stock.load_state_dict(ours.state_dict(), strict=True)
    feats = pyramid_inputs(*size)
    for a, b in zip(ours(feats), stock(feats), strict=True):
        assert a.shape == b.shape
        assert (a - b).abs().max().item() <= 1e-6


@pytest.mark.parametrize('size,channels_last,act_cfg', [
    ((32, 48), False, None), ((32, 48), True, None), ((33, 47), False, None),
    ((32, 48), False, dict(type='ReLU'))])
def test_gradients_identical_to_mmdet_fpn(size, channels_last, act_cfg):
    """Even sizes take the in-place broadcast merge, odd ones F.interpolate; an
    activation in the convs turns the in-place merge off (autograd needs it)."""
    ours = PaperFPN(IN_CHANNELS, 8, num_outs=5, act_cfg=act_cfg)
    stock = FPN(IN_CHANNELS, 8, num_outs=5, act_cfg=act_cfg)
    init_random(ours)
    stock.load_state_dict(ours.state_dict(), strict=True)
    inputs, grads = pyramid_inputs(*size), []
    for fpn in (ours, stock):
        feats = [f.clone().requires_grad_() for f in inputs]
        if channels_last:
            fpn = fpn.to(memory_format=torch.channels_last)
        outs = fpn([f.contiguous(memory_format=torch.channels_last) if channels_last else f
                    for f in feats])
        sum((o * (k + 1)).sum() for k, o in enumerate(outs)).backward()
        grads.append([f.grad for f in feats] + [p.grad for p in fpn.parameters()])
    assert len(grads[0]) == len(grads[1]) == 4 + 16
    for a, b in zip(*grads, strict=True):  # summation order differs: float tolerance
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


def test_merge_writes_into_the_lateral_only_for_exact_nearest_x2():
    lateral, coarser = torch.randn(1, 8, 6, 10), torch.randn(1, 8, 3, 5)
    expected = lateral + coarser.repeat_interleave(2, 2).repeat_interleave(2, 3)
    fpn = PaperFPN(IN_CHANNELS, 8, num_outs=5)
    merged = fpn._merge(lateral, coarser)
    assert merged is lateral and torch.equal(merged, expected)
    odd = torch.randn(1, 8, 5, 9)
    assert fpn._merge(odd, coarser) is not odd
    bilinear = PaperFPN(IN_CHANNELS, 8, num_outs=5, upsample_cfg=dict(mode='bilinear'))
    lateral = torch.randn(1, 8, 6, 10)
    assert bilinear._merge(lateral, coarser) is not lateral


def test_state_dict_moves_both_ways():
    ours, stock = PaperFPN(IN_CHANNELS, 8, num_outs=5), FPN(IN_CHANNELS, 8, num_outs=5)
    assert list(ours.state_dict()) == list(stock.state_dict())
    init_random(stock)
    ours.load_state_dict(stock.state_dict(), strict=True)
    stock.load_state_dict(ours.state_dict(), strict=True)


def test_output_shapes_and_p6_subsampling():
    fpn = PaperFPN(IN_CHANNELS, 8, num_outs=5)
    outs = fpn(pyramid_inputs(33, 47))
    assert [tuple(o.shape[2:]) for o in outs] == [(33, 47), (17, 24), (9, 12), (5, 6), (3, 3)]
    assert torch.equal(outs[4], outs[3][:, :, ::2, ::2])


def test_no_non_linearity():
    """With no activation the neck is linear: f(2x) = 2 f(x) - f(0)."""
    fpn = PaperFPN(IN_CHANNELS, 8, num_outs=5)
    init_random(fpn)
    feats = pyramid_inputs(16, 16)
    zeros = [torch.zeros_like(f) for f in feats]
    for a, b, z in zip(fpn([2 * f for f in feats]), fpn(feats), fpn(zeros)):
        torch.testing.assert_close(a, 2 * b - z, atol=1e-5, rtol=1e-5)


def test_default_init_is_caffe2_xavier():
    fpn = PaperFPN(IN_CHANNELS, 256, num_outs=5)
    fpn.init_weights()
    conv = fpn.lateral_convs[3].conv  # fan_in = 40
    bound = (3.0 / 40) ** 0.5
    assert conv.weight.abs().max() <= bound
    assert conv.weight.abs().max() > 0.9 * bound
    assert torch.count_nonzero(conv.bias) == 0


def input_grads(fpn, level_out: int, size=(16, 16)):
    """Which inputs C_k the output P_{level_out} depends on."""
    feats = pyramid_inputs(*size, requires_grad=True)
    fpn(feats)[level_out].sum().backward()
    return [f.grad is not None and bool(f.grad.abs().sum() > 0) for f in feats]


def test_top_down_default_each_level_sees_coarser_inputs():
    fpn = PaperFPN(IN_CHANNELS, 8, num_outs=5)
    init_random(fpn)
    assert input_grads(fpn, 0) == [True, True, True, True]
    assert input_grads(fpn, 2) == [False, False, True, True]


def test_bottom_up_only_p_k_depends_only_on_c_k():
    fpn = PaperFPN(IN_CHANNELS, 8, num_outs=5, top_down=False)
    init_random(fpn)
    for k in range(4):
        assert input_grads(fpn, k) == [i == k for i in range(4)]


def test_no_lateral_p2_to_p4_ignore_c2_to_c4():
    fpn = PaperFPN(IN_CHANNELS, 8, num_outs=5, lateral=False)
    init_random(fpn)
    assert len(fpn.lateral_convs) == 1
    for k in range(4):
        assert input_grads(fpn, k) == [False, False, False, True]


def test_finest_only_returns_p2_and_every_parameter_is_used():
    fpn = PaperFPN(IN_CHANNELS, 8, num_outs=1, finest_only=True)
    init_random(fpn)
    feats = pyramid_inputs(16, 16)
    outs = fpn(feats)
    assert len(outs) == 1 and outs[0].shape == (2, 8, 16, 16)
    full = PaperFPN(IN_CHANNELS, 8, num_outs=5)
    full.load_state_dict(fpn.state_dict(), strict=False)
    torch.testing.assert_close(outs[0], full(feats)[0])
    outs[0].sum().backward()
    assert all(p.grad is not None for p in fpn.parameters())


@pytest.mark.parametrize('source,relu', [('on_input', True), ('on_output', False),
                                         ('on_lateral', False)])
def test_retinanet_extra_convs_match_mmdet(source, relu):
    ours = PaperFPN(IN_CHANNELS, 8, num_outs=6, add_extra_convs=source,
                    relu_before_extra_convs=relu)
    stock = FPN(IN_CHANNELS, 8, num_outs=6, add_extra_convs=source,
                relu_before_extra_convs=relu)
    init_random(ours)
    stock.load_state_dict(ours.state_dict(), strict=True)
    feats = pyramid_inputs(33, 41)
    for a, b in zip(ours(feats), stock(feats), strict=True):
        assert (a - b).abs().max().item() <= 1e-6


def test_registered_in_mmdet_models():
    fpn = MODELS.build(dict(type='PaperFPN', in_channels=IN_CHANNELS, out_channels=8, num_outs=5))
    assert isinstance(fpn, PaperFPN)


@pytest.mark.parametrize('kwargs,match', [
    (dict(in_channels=[]), 'in_channels'),
    (dict(in_channels=[16, -1]), 'in_channels'),
    (dict(num_outs=3), 'num_outs=3'),
    (dict(num_outs=5, finest_only=True), 'num_outs must be 1'),
    (dict(add_extra_convs='on_top'), "add_extra_convs='on_top'"),
    (dict(start_level=4), 'start_level=4'),
    (dict(end_level=2, num_outs=5), 'num_outs must be 3'),
    (dict(top_down=False, lateral=False), 'lateral=False and top_down=False'),
])
def test_constructor_validation(kwargs, match):
    args = dict(in_channels=IN_CHANNELS, out_channels=8, num_outs=5)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        PaperFPN(**args)


def test_wrong_number_of_inputs_is_a_clear_error():
    fpn = PaperFPN(IN_CHANNELS, 8, num_outs=5)
    with pytest.raises(ValueError, match='expects 4 input maps'):
        fpn(pyramid_inputs(16, 16)[:3])
