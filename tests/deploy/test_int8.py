"""INT8 export (NNCF post-training quantization) of the OpenVINO backend: the IR it
writes, the check it passes, and its refusals."""
import json
import sys

import pytest
import torch
from helpers import TINY_CONFIG, leaf_config, refusal
from mmdet.apis import init_detector

from mmfpn.apis.export import calibration_inputs
from mmfpn.config.load import ConfigError
from mmfpn.deploy.fast import make_fast
from mmfpn.deploy.int8 import import_nncf, quantize_dense
from mmfpn.deploy.openvino import (OpenVINOConversionError, convert_dense, is_quantized,
                                   read_ir, use_openvino)

pytest.importorskip('openvino', reason='the README set-up installs OpenVINO (requirements.txt)')
pytest.importorskip('nncf', reason='the README set-up installs NNCF (requirements.txt)')


@pytest.mark.slow
def test_int8_export_writes_a_quantized_ir_beside_the_f32_one(exported_irs):
    f32, int8, stdout = exported_irs
    assert str(int8) in stdout and str(f32) in stdout
    assert is_quantized(read_ir(str(int8))) and not is_quantized(read_ir(str(f32)))


@pytest.mark.slow
def test_tools_test_runs_the_int8_ir(tools_test, exported_irs):
    """The INT8 IR loads (it passes the check against torch) and evaluates; on the
    briefly trained model its AP stays near the f32 backend's."""
    int8_map, log = tools_test('--fast', '--backend', 'openvino', '--ir', str(exported_irs[1]))
    f32_map, _ = tools_test('--fast')
    assert 'coco/bbox_mAP:' in log and abs(int8_map - f32_map) <= 0.05


@pytest.mark.slow
def test_an_int8_ir_of_another_model_is_refused(exported_irs):
    torch.manual_seed(1)
    other = use_openvino(make_fast(init_detector(TINY_CONFIG, device='cpu')),
                         ir=str(exported_irs[1]))
    with pytest.raises(OpenVINOConversionError, match=r'INT8 output \d+ differs from torch by'):
        other.extract_feat(torch.randn(1, 3, 64, 64))


def test_calibration_images_come_from_the_training_set_through_the_test_pipeline(workspace):
    cfg = leaf_config(TINY_CONFIG)
    cfg.train_dataloader.dataset.data_root = str(workspace / 'data' / 'tiny') + '/'
    model = init_detector(cfg, device='cpu')
    first = calibration_inputs(cfg, model, 3, seed=0)
    assert len(first) == 3 and first[0].shape == (1, 3, 320, 320)
    assert first[0].dtype == torch.float32 and abs(first[0].mean().item()) < 3  # normalized
    assert len(calibration_inputs(cfg, model, 100, seed=0)) == 8   # the whole training set
    other = calibration_inputs(cfg, model, 3, seed=1)
    assert not all(torch.equal(a, b) for a, b in zip(first, other))


def test_a_training_set_without_images_is_refused(tmp_path):
    ann = tmp_path / 'empty.json'
    ann.write_text(json.dumps(dict(images=[], annotations=[], categories=[
        dict(id=i + 1, name=n) for i, n in enumerate(('circle', 'square', 'triangle', 'cross'))])))
    cfg = leaf_config(TINY_CONFIG)
    cfg.train_dataloader.dataset.update(data_root=str(tmp_path) + '/', ann_file='empty.json')
    with pytest.raises(ConfigError, match="INT8 calibration reads the training set, and "
                                          "'empty.json' has no usable image"):
        calibration_inputs(cfg, init_detector(cfg, device='cpu'), 10)


def test_quantizing_without_calibration_images_is_refused():
    model = make_fast(init_detector(TINY_CONFIG, device='cpu'))
    with pytest.raises(ValueError, match='needs at least one image'):
        quantize_dense(convert_dense(model, torch.randn(1, 3, 64, 64)), [])


def test_int8_without_nncf_names_the_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, 'nncf', None)   # import nncf -> ImportError
    with pytest.raises(ImportError, match=r'pip install nncf==3\.4\.0'):
        import_nncf()
    message = refusal('export_openvino', [TINY_CONFIG, 'any.pth', tmp_path, '--int8'])
    assert 'INT8 export needs NNCF, which is not installed: pip install nncf==3.4.0' in message


def test_a_calibration_count_below_one_is_refused(tmp_path):
    message = refusal('export_openvino', [TINY_CONFIG, 'any.pth', tmp_path, '--int8',
                                          '--calib', '0'])
    assert '--calib 0: give the number of calibration images' in message
