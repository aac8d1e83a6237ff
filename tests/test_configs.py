"""Every leaf config loads, builds, and trains one step with a gradient everywhere."""
import glob
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmfpn  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
LEAF_CONFIGS = sorted(p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
                      if '_base_' not in p)


def test_there_are_configs():
    assert any(p.endswith('faster-rcnn_r18_paper-fpn_tiny.py') for p in LEAF_CONFIGS)


def one_train_step(cfg: Config, image_size=(96, 128)):
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    num_classes = cfg.model.roi_head.bbox_head.num_classes if 'roi_head' in cfg.model else 1
    packed = demo_mm_inputs(2, [[3, *image_size]] * 2, num_items=[3, 2],
                            num_classes=num_classes, with_mask=False)
    data = model.data_preprocessor(packed, True)
    losses = model(**data, mode='loss')
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    total.backward()
    return model


@pytest.mark.parametrize('path', LEAF_CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_config_builds_and_every_parameter_gets_a_gradient(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmdet'
    assert 'mmfpn' in cfg.custom_imports['imports']
    model = one_train_step(cfg)
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f'parameters without gradient: {missing[:10]}'


def test_paper_faster_rcnn_uses_the_three_components():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/tiny/faster-rcnn_r18_paper-fpn_tiny.py'))
    assert cfg.model.neck.type == 'PaperFPN'
    assert cfg.model.rpn_head.anchor_generator.type == 'PaperAnchorGenerator'
    assert cfg.model.roi_head.bbox_roi_extractor.type == 'PaperRoIExtractor'


def test_tiny_config_metainfo_matches_the_generator():
    from mmfpn.datasets.tiny import METAINFO
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/datasets/tiny.py'))
    assert tuple(cfg.metainfo['classes']) == METAINFO['classes']
    assert [tuple(c) for c in cfg.metainfo['palette']] == [tuple(c) for c in METAINFO['palette']]
