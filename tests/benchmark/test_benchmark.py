"""The training benchmark compares the same step: same weights, batch and samples."""
import pytest
from mmengine.config import Config

from mmfpn.benchmark.report import markdown
from mmfpn.benchmark.harness import machine
from mmfpn.benchmark.training import TINY_CONFIG, TRAIN_PHASES, bench_train
from mmfpn.precision import cpu_has_native_bf16


@pytest.mark.slow
def test_training_rows_time_the_same_step_and_every_phase():
    result = bench_train(Config.fromfile(TINY_CONFIG), 96, 128, 2, repeats=1, device='cpu')
    assert {'stock', 'ours', 'ours_amp'} <= result.keys()
    # Same weights, inputs and samples: the losses agree up to float summation order.
    assert result['max_loss_diff_ours_vs_stock'] < 1e-3
    for side in ('stock', 'ours'):
        phases = result['phases'][side]
        assert {name for name, _ in TRAIN_PHASES} | {'backward', 'optimizer step'} <= phases.keys()
        assert all(v > 0 for k, v in phases.items() if k != 'other')
    table = markdown(dict(machine=machine('cpu'), train=dict(tiny=result)))
    assert table.startswith(f'Machine: {machine("cpu")["cpu"]} (flags: ')
    assert '| training step, tiny, batch 2, 96x128, fp32 |' in table
    # The --amp row names the precision it ran in: float32 where bf16 is not native.
    assert result['amp_precision'] == ('bfloat16' if cpu_has_native_bf16() else 'float32')
    assert f'| training step, tiny, batch 2, 96x128, --amp (ran in {result["amp_precision"]}) |' in table
    assert '| proposals (decode + NMS) |' in table


@pytest.mark.slow
def test_openvino_rows_time_the_same_trunk_four_ways():
    pytest.importorskip('openvino', reason='the README set-up installs OpenVINO (requirements.txt)')
    from mmfpn.benchmark.detector import bench_openvino
    result = bench_openvino(128, 160, repeats=1)
    assert result['openvino_vs_fast']['same'] is True
    assert all(result[k] > 0 for k in ('trunk_backend', 'trunk_bare_openvino', 'trunk_torch_fast'))
    table = markdown(dict(machine=dict(cpu='x', threads=1, torch='t', device='cpu'),
                          openvino=result))
    ceiling = result['trunk_torch_fast'] / result['trunk_backend']
    assert f'the end-to-end speed-up cannot exceed {ceiling:.2f}x (same torch code outside)' in table
    assert '| Faster R-CNN R50-FPN 128x160: dense part: backend vs bare OpenVINO (stock column) |' in table
    assert result['ours_openvino_int8'] > 0 and result['trunk_int8'] > 0
    assert '| Faster R-CNN R50-FPN 128x160: OpenVINO INT8 vs fast fp32 |' in table


def test_outputs_are_compared_where_a_random_model_has_them():
    """A randomly initialised R50-FPN detects nothing above the score threshold: the
    rows compare its proposals and class scores, which exist."""
    import torch

    from mmfpn.benchmark.detector import (build_detectors, compare_outputs, detector_batch,
                                          stage_outputs)
    stock, ours = build_detectors('cpu')
    data = detector_batch(96, 128, 'cpu')
    with torch.no_grad():
        assert len(stock.test_step(data)[0].pred_instances) == 0  # why detections prove nothing
    a, b = stage_outputs(stock, data), stage_outputs(ours, data)
    assert a[0].shape[0] > 100 and a[1].shape == (a[0].shape[0], 81)
    assert compare_outputs(a, b)['same']
    # The same proposals in another order are the same outputs.
    flipped = compare_outputs(a, (b[0].flip(0), b[1].flip(0)))
    assert flipped['same']
    moved = compare_outputs(a, (torch.cat([b[0][:10] + 5, b[0][10:]]), b[1] + 0.01))
    assert not moved['same'] and moved['matched'] == pytest.approx((len(a[0]) - 10) / len(a[0]))
    assert abs(moved['max_score_diff'] - 0.01) < 1e-4
    with pytest.raises(ValueError, match='no proposals to compare'):
        compare_outputs((a[0][:0], a[1][:0]), (b[0][:0], b[1][:0]))
