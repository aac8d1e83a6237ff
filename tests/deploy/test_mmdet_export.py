"""Model-zoo export: stock mmdet runs the exported model and gets the same answers."""
import glob
import os.path as osp
import re

import numpy as np
import pytest
import torch
from helpers import FAST, ROOT, STOCK_INFER, TINY_CONFIG, run
from mmengine.config import Config

from mmfpn.datasets.tiny import CLASSES
from mmfpn.deploy.mmdet_export import ExportError, publish_checkpoint, to_mmdet_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def exported(workspace, trained_checkpoint):
    out = run([osp.join(ROOT, 'tools/export_mmdet.py'), TINY_CONFIG, trained_checkpoint,
               str(workspace / 'exported')], cwd=workspace)
    config, checkpoint = out.stdout.split()[-2:]
    return config, checkpoint


def test_exported_files(exported):
    config, checkpoint = exported
    text = open(config).read()
    assert 'Paper' not in text and 'mmfpn' not in text and 'custom_imports' not in text
    assert re.fullmatch(r'.*/faster-rcnn_r18_paper-fpn_tiny-[0-9a-f]{8}\.pth', checkpoint)
    ckpt = torch.load(checkpoint, weights_only=True)  # plain torch, in a process that has
    assert set(ckpt) == {'meta', 'state_dict'}       # mmfpn's allowlist: see next test
    assert ckpt['meta']['classes'] == list(CLASSES)
    assert set(ckpt['meta']['versions']) == {'mmfpn', 'mmdet', 'mmengine', 'mmcv', 'torch'}
    assert 'PaperFPN' not in ckpt['meta']['config']


def test_stock_mmdet_gives_the_same_detections(workspace, exported, trained_checkpoint):
    config, checkpoint = exported
    images = sorted(glob.glob(str(workspace / 'data/tiny/val/*.png')))
    stock = run([STOCK_INFER, config, checkpoint, str(workspace / 'stock.npz'), *images],
                cwd=workspace)
    assert 'mmfpn imported: False' in stock.stdout
    ours = run([STOCK_INFER, TINY_CONFIG, trained_checkpoint, str(workspace / 'ours.npz'), *images],
               cwd=workspace, env={'MMFPN_INFER_WITH_MMFPN': '1'})
    assert 'mmfpn imported: True' in ours.stdout
    a, b = np.load(workspace / 'stock.npz'), np.load(workspace / 'ours.npz')
    assert sum(len(a[f'labels{i}']) for i in range(len(images))) > 0
    for i in range(len(images)):
        np.testing.assert_array_equal(a[f'labels{i}'], b[f'labels{i}'])
        np.testing.assert_allclose(a[f'bboxes{i}'], b[f'bboxes{i}'], atol=1e-4, rtol=0)
        np.testing.assert_allclose(a[f'scores{i}'], b[f'scores{i}'], atol=1e-6, rtol=0)


def bbox_map_line(output: str) -> str:
    return re.findall(r'coco/bbox_mAP: .*?coco/bbox_mAP_l: [0-9.]+', output)[-1]


def test_mim_test_mmdet_reports_the_same_ap_as_tools_test(workspace, exported, trained_checkpoint):
    config, checkpoint = exported
    ours = run([osp.join(ROOT, 'tools/test.py'), TINY_CONFIG, trained_checkpoint,
                '--work-dir', str(workspace / 'ap_ours'), '--cfg-options', *FAST], cwd=workspace)
    stock = run(['-m', 'mim', 'test', 'mmdet', config, '--checkpoint', checkpoint,
                 '--work-dir', str(workspace / 'ap_stock'), '--cfg-options', *FAST], cwd=workspace)
    assert bbox_map_line(ours.stdout + ours.stderr) == bbox_map_line(stock.stdout + stock.stderr)


def test_published_checkpoint_loads_without_mmfpn(exported, workspace):
    _, checkpoint = exported
    code = (f'import sys, torch\nckpt = torch.load({checkpoint!r}, weights_only=True)\n'
            "print(len(ckpt['state_dict']), 'mmfpn' in sys.modules)")
    out = run(['-c', code], cwd=workspace)
    assert out.stdout.split()[-1] == 'False' and int(out.stdout.split()[0]) > 100


def test_publish_takes_class_names_from_the_config_when_the_checkpoint_has_none(tmp_path):
    bare = tmp_path / 'bare.pth'
    torch.save({'state_dict': {'w': torch.zeros(2)}}, bare)
    with pytest.raises(ExportError, match='records no class names'):
        publish_checkpoint(str(bare), str(tmp_path / 'out'))
    out = publish_checkpoint(str(bare), str(tmp_path / 'out'), Config.fromfile(TINY_CONFIG))
    meta = torch.load(out, weights_only=True)['meta']
    assert meta['classes'] == list(CLASSES) and meta['dataset_meta']['palette']


def test_publish_refuses_a_checkpoint_carrying_code(tmp_path):
    marker = tmp_path / 'ran'
    evil = tmp_path / 'evil.pth'

    class RunsCode:
        def __reduce__(self):
            return (eval, (f"open({str(marker)!r}, 'w')",))

    torch.save({'state_dict': {}, 'meta': {'x': RunsCode()}}, evil)
    with pytest.raises(ExportError, match='cannot read checkpoint .* with safe loading'):
        publish_checkpoint(str(evil), str(tmp_path / 'out'))
    assert not marker.exists()


@pytest.mark.parametrize('change,message', [
    (dict(neck=dict(top_down=False)), 'top_down=False'),
    (dict(neck=dict(lateral=False)), 'lateral=False'),
    (dict(rpn_head=dict(anchor_generator=dict(mode='detectron'))), "mode='detectron'"),
    (dict(roi_head=dict(bbox_roi_extractor=dict(roi_layer=dict(
        _delete_=True, type='RoIPool', output_size=7, round_rois=True)))), 'round_rois=True'),
])
def test_export_refuses_what_mmdet_cannot_express(change, message):
    cfg = Config.fromfile(TINY_CONFIG)
    cfg.merge_from_dict(dict(model=change))
    with pytest.raises(ExportError, match=message):
        to_mmdet_config(cfg)


def test_export_maps_each_component():
    stock = to_mmdet_config(Config.fromfile(TINY_CONFIG))
    assert stock.model.neck.type == 'FPN'
    assert stock.model.rpn_head.anchor_generator == dict(
        type='AnchorGenerator', strides=[4, 8, 16, 32, 64], ratios=[0.5, 1.0, 2.0],
        scales=[4])  # anchor sizes 16..256 on strides 4..64
    assert stock.model.roi_head.bbox_roi_extractor.type == 'SingleRoIExtractor'
    assert stock.model.roi_head.bbox_roi_extractor.finest_scale == 28.0  # 112 * 2^(2-4)
    assert 'custom_imports' not in stock
    assert stock.train_dataloader.dataset.metainfo.classes == CLASSES


def test_export_drops_mmfpn_hooks_and_renames_mmfpn_subclasses_of_stock_classes():
    cfg = Config.fromfile(TINY_CONFIG)
    assert {h['type'] for h in cfg.custom_hooks} == {'FiniteLossHook', 'RNGStateHook'}
    assert cfg.default_hooks.checkpoint.backend_args == dict(backend='atomic_local')
    stock = to_mmdet_config(cfg)
    assert 'custom_hooks' not in stock and 'backend_args' not in stock.default_hooks.checkpoint
    assert stock.default_hooks.checkpoint.type == 'CheckpointHook'
    cfg.model_wrapper_cfg = dict(type='CPUDistributedDataParallel', find_unused_parameters=True)
    cfg.optim_wrapper = dict(type='MixedPrecisionOptimWrapper', cpu_bf16='always',
                             optimizer=dict(type='SGD', lr=0.02))
    stock = to_mmdet_config(cfg)
    assert stock.model_wrapper_cfg == dict(type='MMDistributedDataParallel',
                                           find_unused_parameters=True)
    assert stock.optim_wrapper == dict(type='AmpOptimWrapper',
                                       optimizer=dict(type='SGD', lr=0.02))


def test_export_refuses_a_type_without_stock_twin_by_name():
    cfg = Config.fromfile(TINY_CONFIG)
    cfg.val_evaluator = dict(type='SegmProposalMetric', ann_file='x.json')
    with pytest.raises(ExportError, match='val_evaluator uses SegmProposalMetric, which only '
                                          'mmfpn provides .mmdet has no segment-proposal AR'):
        to_mmdet_config(cfg)


def test_a_mask_rcnn_exports_to_the_same_boxes_and_masks(tmp_path):
    """Mask R-CNN with PaperRoIExtractor on boxes and masks: the stock model built from
    the exported config, given the same weights, returns the same boxes and masks."""
    from mmdet.registry import MODELS
    from mmdet.testing import demo_mm_inputs
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(osp.join(ROOT, 'configs/tiny/mask-rcnn_r18_paper-fpn_tiny.py'))
    stock_cfg = to_mmdet_config(cfg)
    assert stock_cfg.model.roi_head.mask_roi_extractor.type == 'SingleRoIExtractor'
    init_default_scope('mmdet')
    torch.manual_seed(0)
    ours = MODELS.build(cfg.model).eval()
    ours.init_weights()
    stock = MODELS.build(stock_cfg.model).eval()
    stock.load_state_dict(ours.state_dict())
    packed = demo_mm_inputs(1, [[3, 160, 160]], num_items=[0], with_mask=False)
    with torch.no_grad():
        a, = ours.test_step(packed)
        b, = stock.test_step(packed)
    assert len(a.pred_instances) > 0
    torch.testing.assert_close(a.pred_instances.bboxes, b.pred_instances.bboxes)
    assert torch.equal(a.pred_instances.masks, b.pred_instances.masks)
