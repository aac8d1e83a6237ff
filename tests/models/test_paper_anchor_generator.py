"""PaperAnchorGenerator: the paper's anchors, mmdet parity, Detectron bit-for-bit."""
import math

import numpy as np
import pytest
import torch
from mmdet.models.task_modules.prior_generators import AnchorGenerator, LegacyAnchorGenerator
from mmdet.registry import TASK_UTILS

from mmfpn.models.task_modules.paper_anchor_generator import PaperAnchorGenerator

R2 = math.sqrt(2.0)


def test_golden_anchors_from_the_paper():
    """Sec. 4.1 by hand: area s^2, ratio r = h/w -> w = s/sqrt(r), h = s*sqrt(r),
    centred on the cell corner (k*stride); three ratios per cell, 15 in all."""
    gen = PaperAnchorGenerator()
    anchors = gen.grid_priors([(2, 2), (1, 1), (1, 1), (1, 1), (1, 2)], device='cpu')
    assert gen.num_base_priors == [3, 3, 3, 3, 3]
    assert sum(gen.num_base_priors) == 15
    p2_cell00 = [[-16 * R2, -8 * R2, 16 * R2, 8 * R2],     # 1:2 (h:w), area 32^2
                 [-16, -16, 16, 16],                       # 1:1
                 [-8 * R2, -16 * R2, 8 * R2, 16 * R2]]     # 2:1
    p2_cell01 = [[x + 4, y, x2 + 4, y2] for x, y, x2, y2 in p2_cell00]  # next column
    p2_cell10 = [[x, y + 4, x2, y2 + 4] for x, y, x2, y2 in p2_cell00]  # next row
    torch.testing.assert_close(anchors[0][:3], torch.tensor(p2_cell00))
    torch.testing.assert_close(anchors[0][3:6], torch.tensor(p2_cell01))
    torch.testing.assert_close(anchors[0][6:9], torch.tensor(p2_cell10))
    p6_cell01 = [[-256 * R2 + 64, -128 * R2, 256 * R2 + 64, 128 * R2],
                 [-256 + 64, -256, 256 + 64, 256],
                 [-128 * R2 + 64, -256 * R2, 128 * R2 + 64, 256 * R2]]
    torch.testing.assert_close(anchors[4][3:6], torch.tensor(p6_cell01))
    for level, size in enumerate([32, 64, 128, 256, 512]):
        wh = anchors[level][:, 2:] - anchors[level][:, :2]
        torch.testing.assert_close(wh.prod(1), torch.full((wh.shape[0],), size**2.0))


@pytest.mark.parametrize('sizes', [[(3, 5), (2, 3), (1, 2), (1, 1), (1, 1)],
                                   [(25, 38), (13, 19), (7, 10), (4, 5), (2, 3)]])
def test_identical_to_mmdet_anchor_generator(sizes):
    ours = PaperAnchorGenerator()
    stock = AnchorGenerator(strides=[4, 8, 16, 32, 64], ratios=[0.5, 1.0, 2.0], scales=[8])
    for a, b in zip(ours.grid_priors(sizes, device='cpu'),
                    stock.grid_priors(sizes, device='cpu'), strict=True):
        assert torch.equal(a, b)
    for a, b in zip(ours.valid_flags(sizes, (97, 150), device='cpu'),
                    stock.valid_flags(sizes, (97, 150), device='cpu')):
        assert torch.equal(a, b)


# --- Detectron's Caffe2 generate_anchors, transcribed step by step (numpy) -------
def _whctrs(anchor):
    w = anchor[2] - anchor[0] + 1
    h = anchor[3] - anchor[1] + 1
    return w, h, anchor[0] + 0.5 * (w - 1), anchor[1] + 0.5 * (h - 1)


def _mkanchors(ws, hs, x_ctr, y_ctr):
    ws, hs = ws[:, np.newaxis], hs[:, np.newaxis]
    return np.hstack((x_ctr - 0.5 * (ws - 1), y_ctr - 0.5 * (hs - 1),
                      x_ctr + 0.5 * (ws - 1), y_ctr + 0.5 * (hs - 1)))


def _ratio_enum(anchor, ratios):
    w, h, x_ctr, y_ctr = _whctrs(anchor)
    size_ratios = w * h / ratios
    ws = np.round(np.sqrt(size_ratios))
    hs = np.round(ws * ratios)
    return _mkanchors(ws, hs, x_ctr, y_ctr)


def _scale_enum(anchor, scales):
    w, h, x_ctr, y_ctr = _whctrs(anchor)
    return _mkanchors(w * scales, h * scales, x_ctr, y_ctr)


def detectron_generate_anchors(stride, sizes, aspect_ratios):
    anchor = np.array([1, 1, stride, stride], dtype=np.float64) - 1
    scales = np.array(sizes, dtype=np.float64) / stride
    ratio_anchors = _ratio_enum(anchor, np.array(aspect_ratios, dtype=np.float64))
    return np.vstack([_scale_enum(ratio_anchors[i, :], scales)
                      for i in range(ratio_anchors.shape[0])]).astype(np.float32)


def detectron_fpn_grid(stride, size, height, width):
    cell = detectron_generate_anchors(stride, (size,), (0.5, 1, 2))
    sx, sy = np.meshgrid(np.arange(width) * stride, np.arange(height) * stride)
    shifts = np.vstack((sx.ravel(), sy.ravel(), sx.ravel(), sy.ravel())).transpose()
    return (cell.reshape((1, 3, 4)) + shifts.reshape((1, -1, 4)).transpose((1, 0, 2))
            ).reshape((-1, 4)).astype(np.float32)


def test_detectron_mode_golden_cell_values():
    """P2 (stride 4, 32^2): round(sqrt(16/0.5)) = 6, round(6*0.5) = 3, times 8."""
    gen = PaperAnchorGenerator(mode='detectron')
    expected_p2 = torch.tensor([[-22., -10., 25., 13.], [-14., -14., 17., 17.],
                                [-10., -22., 13., 25.]])
    assert torch.equal(gen.base_anchors[0], expected_p2)
    # P3 (stride 8, 64^2): round(sqrt(128)) = 11, round(5.5) = 6 (half to even).
    assert torch.equal(gen.base_anchors[1][0], torch.tensor([-40., -20., 47., 27.]))


def test_detectron_mode_bit_for_bit_with_generate_anchors():
    gen = PaperAnchorGenerator(mode='detectron')
    sizes = [(5, 7), (3, 4), (2, 2), (1, 1), (1, 1)]
    anchors = gen.grid_priors(sizes, device='cpu')
    for level, (stride, size) in enumerate(zip([4, 8, 16, 32, 64], [32, 64, 128, 256, 512])):
        expected = torch.from_numpy(detectron_fpn_grid(stride, size, *sizes[level]))
        assert torch.equal(anchors[level], expected), f'level P{level + 2}'


def test_detectron_mode_differs_from_mmdet_legacy():
    """mmdet's LegacyAnchorGenerator is not Detectron's rounding."""
    legacy = LegacyAnchorGenerator(strides=[4], ratios=[0.5, 1.0, 2.0], scales=[8])
    ours = PaperAnchorGenerator(anchor_sizes=[32], strides=[4], mode='detectron')
    assert not torch.equal(legacy.base_anchors[0], ours.base_anchors[0])


def test_all_sizes_on_one_level_for_table1f():
    gen = PaperAnchorGenerator(anchor_sizes=[[32, 64, 128, 256, 512]], strides=[4])
    assert gen.num_base_priors == [15]
    stock = AnchorGenerator(strides=[4], ratios=[0.5, 1.0, 2.0], scales=[8, 16, 32, 64, 128])
    assert torch.equal(gen.grid_priors([(3, 4)], device='cpu')[0],
                       stock.grid_priors([(3, 4)], device='cpu')[0])


def test_registered_and_validated():
    gen = TASK_UTILS.build(dict(type='PaperAnchorGenerator'))
    assert isinstance(gen, PaperAnchorGenerator)
    with pytest.raises(ValueError, match='one anchor size'):
        PaperAnchorGenerator(anchor_sizes=[32, 64], strides=[4, 8, 16])
    with pytest.raises(ValueError, match="mode='caffe'"):
        PaperAnchorGenerator(mode='caffe')
    with pytest.raises(ValueError, match='ratios must be positive'):
        PaperAnchorGenerator(ratios=[0.0, 1.0])
