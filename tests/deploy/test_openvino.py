"""The OpenVINO backend: same detections as the torch fast path, IR export and
loading, bf16, and the errors (no OpenVINO, a part it cannot convert, bad flags)."""
import glob
import sys

import cv2
import pytest
import torch
from helpers import TINY_CONFIG
from mmdet.apis import inference_detector, init_detector
from torch import nn

from mmfpn.deploy import openvino as openvino_backend
from mmfpn.deploy.fast import make_fast
from mmfpn.deploy.openvino import (OpenVINOConversionError, OpenVINODense,
                                           convert_dense, import_openvino, use_openvino)

pytest.importorskip('openvino', reason='the README set-up installs OpenVINO (requirements.txt)')

#: Every detection kept, so that the comparison covers low scores too.
ALL = {'model.test_cfg.rcnn.score_thr': 0.0}


def detector(checkpoint, **kwargs):
    return make_fast(init_detector(TINY_CONFIG, checkpoint, device='cpu', cfg_options=ALL),
                     **kwargs)


def assert_same_detections(a, b, images, atol=1e-3):
    total = 0
    for image in images:
        x = inference_detector(a, image).pred_instances
        y = inference_detector(b, image).pred_instances
        assert torch.equal(x.labels, y.labels), image
        assert (x.bboxes - y.bboxes).abs().max().item() <= atol, image
        total += len(x)
    assert total > 0


@pytest.fixture(scope='module')
def val_images(workspace):
    return sorted(glob.glob(str(workspace / 'data/tiny/val/*.png')))


@pytest.mark.slow
def test_f32_backend_gives_the_torch_detections(trained_checkpoint, val_images, monkeypatch,
                                                 tmp_path):
    conversions = []
    monkeypatch.setattr(openvino_backend, 'convert_dense',
                        lambda *a: conversions.append(a) or convert_dense(*a))
    # The val images and two of them at other aspect ratios (other input sizes).
    images = list(val_images)
    for i, size in ((0, (320, 200)), (1, (160, 288))):
        images.append(str(tmp_path / f'{i}.png'))
        cv2.imwrite(images[-1], cv2.resize(cv2.imread(val_images[i]), size))
    torch_fast = detector(trained_checkpoint)
    backend = use_openvino(detector(trained_checkpoint))
    assert_same_detections(torch_fast, backend, images)
    assert backend.openvino.precision == 'f32'
    sizes = {inference_detector(backend, i).metainfo['batch_input_shape'] for i in images}
    assert len(sizes) == 3 and len(conversions) == 1  # one conversion serves every size


def test_dense_part_converts_with_dynamic_sizes():
    """The converted trunk matches torch at a size other than the tracing example."""
    model = make_fast(init_detector(TINY_CONFIG, device='cpu'))
    ov_model = convert_dense(model, torch.randn(1, 3, 96, 128))
    dense = OpenVINODense(ov_model)
    x = torch.randn(2, 3, 160, 224)
    with torch.no_grad():
        feats = model.neck(model.backbone(x))
        scores, deltas = model.rpn_head(feats)
    expected = [*feats, *scores, *deltas]
    got = dense(x)
    assert [g.shape for g in got] == [e.shape for e in expected]
    for g, e in zip(got, expected):
        assert (g - e).abs().max().item() <= 1e-4 * max(1.0, e.abs().max().item())
    # Channels-last (what mmfpn's RoIAlign reads without a copy), and the caller's
    # own memory: the next call, which reuses the request's buffers, leaves it as is.
    assert all(g.is_contiguous(memory_format=torch.channels_last) for g in got)
    kept = [g.clone() for g in got]
    dense(x + 1.0)
    assert all(torch.equal(g, k) for g, k in zip(got, kept))


def test_bf16_where_onednn_runs_it_emulated_keeps_f32_and_says_so(monkeypatch):
    """As torch sees a CPU without native bf16 (or oneDNN capped at AVX2), the backend
    does not ask OpenVINO for bf16: it runs f32 and warns."""
    import mmfpn.deploy.openvino as backend
    monkeypatch.setattr(backend, 'cpu_has_native_bf16', lambda: False)
    model = make_fast(init_detector(TINY_CONFIG, device='cpu'))
    with pytest.warns(UserWarning, match='no native bf16 support, the dense part runs in f32'):
        dense = OpenVINODense(convert_dense(model, torch.randn(1, 3, 64, 64)), bf16=True)
    assert dense.precision == 'f32'


@pytest.mark.slow
def test_export_writes_the_ir_and_the_backend_loads_it(exported_irs, trained_checkpoint,
                                                       val_images):
    ir, _, stdout = exported_irs
    out_dir = ir.parent
    assert str(ir) in stdout
    assert ir.is_file() and ir.with_suffix('.bin').is_file()
    assert (out_dir / 'faster-rcnn_r18_paper-fpn_tiny.py').is_file()  # stock-mmdet export
    assert glob.glob(str(out_dir / 'faster-rcnn_r18_paper-fpn_tiny-*.pth'))
    loaded = use_openvino(detector(trained_checkpoint), ir=str(ir))
    assert_same_detections(detector(trained_checkpoint), loaded, val_images)


@pytest.mark.slow
def test_tools_test_backend_openvino_f32_and_bf16(tools_test, exported_irs):
    """mAP of --backend openvino (the exported IR, so no conversion here) equals
    --fast's (f32); bf16 within 0.5 points."""
    ir = ('--fast', '--backend', 'openvino', '--ir', str(exported_irs[0]))
    torch_map, _ = tools_test('--fast')
    ov_map, _ = tools_test(*ir)
    bf16_map, text = tools_test(*ir, '--bf16')
    assert abs(ov_map - torch_map) <= 0.001
    assert abs(bf16_map - torch_map) <= 0.005
    if 'no native bf16' in text:  # this CPU: OpenVINO keeps f32
        assert bf16_map == ov_map


def test_bf16_runs_the_box_head_left_in_torch_in_bf16_too():
    """With --bf16 the fc layers that stay in torch are autocast as on the torch fast
    path (they cost 3x in float32 on an AMX CPU); with f32 nothing is."""
    for bf16 in (False, True):
        model = use_openvino(make_fast(init_detector(TINY_CONFIG, device='cpu')), bf16=bf16)
        head, seen = model.roi_head.bbox_head, []
        head.shared_fcs[0].register_forward_hook(lambda m, a, out: seen.append(out.dtype))
        scores, deltas = head(torch.zeros(2, head.in_channels, 7, 7))
        assert seen == [torch.bfloat16 if bf16 else torch.float32]
        assert scores.dtype == deltas.dtype == torch.float32


def test_missing_openvino_gives_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, 'openvino', None)  # import openvino -> ImportError
    with pytest.raises(ImportError, match=r'pip install openvino==2026\.4\.1'):
        import_openvino()
    with pytest.raises(ImportError, match='pip install openvino'):
        use_openvino(torch.nn.Module())


def test_a_part_traced_as_a_constant_is_named_and_refused():
    """mmcv's modulated deformable conv calls C++ outside torch: tracing freezes its
    output for the example input and OpenVINO converts the constant silently."""
    options = {'model.backbone.depth': 50, 'model.neck.in_channels': [256, 512, 1024, 2048],
               'model.backbone.dcn': dict(type='DCNv2', deform_groups=1, fallback_on_stride=False),
               'model.backbone.stage_with_dcn': (False, False, False, True)}
    model = make_fast(init_detector(TINY_CONFIG, device='cpu', cfg_options=options))
    with pytest.raises(OpenVINOConversionError,
                       match=r'does not compute what torch computes.*'
                             r'backbone\.layer4\.0\.conv2 \(ModulatedDeformConv2dPack\)'):
        convert_dense(model, torch.randn(1, 3, 64, 64))


def test_op_openvino_cannot_convert_is_named():
    model = make_fast(init_detector(TINY_CONFIG, device='cpu'))
    model.neck.forward = lambda feats: (torch.linalg.qr(feats[0])[0],)
    with pytest.raises(OpenVINOConversionError, match='could not convert the dense part'):
        convert_dense(model, torch.randn(1, 3, 64, 64))


def test_ir_of_another_checkpoint_is_refused(tmp_path):
    from mmfpn.deploy.openvino import save_dense_ir
    model = make_fast(init_detector(TINY_CONFIG, device='cpu'))
    ir = save_dense_ir(convert_dense(model, torch.randn(1, 3, 64, 64)), str(tmp_path / 'a.xml'))
    torch.manual_seed(1)
    other = use_openvino(make_fast(init_detector(TINY_CONFIG, device='cpu')), ir=ir)
    with pytest.raises(OpenVINOConversionError, match='output 0 differs from torch'):
        other.extract_feat(torch.randn(1, 3, 64, 64))


def test_a_model_whose_outputs_are_not_maps_is_refused():
    """OpenVINODense hands over (N, C, H, W) maps channels-last; a flat output is named."""
    ov = import_openvino()
    flat = ov.convert_model(nn.Flatten().eval(), example_input=torch.randn(1, 3, 8, 8),
                            input=[ov.PartialShape([-1, 3, -1, -1])])
    with pytest.raises(OpenVINOConversionError, match=r'output 0 has shape \[\?,\?\]'):
        OpenVINODense(flat)
