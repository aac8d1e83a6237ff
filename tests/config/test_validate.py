"""Bad model configs are refused at build time with the key, the value and the fix."""
import os.path as osp

import pytest
import torch
from helpers import ROOT, TINY_CONFIG
from mmengine.config import Config

from mmfpn.config.load import ConfigError, load_config
from mmfpn.config.validate import (check_model_config, check_pretrained_weights,
                                   pretrained_unavailable)


def checked(**model):
    cfg = Config.fromfile(TINY_CONFIG)
    cfg.merge_from_dict(dict(model=model))
    check_model_config(cfg)


def test_the_tiny_config_passes():
    checked()


@pytest.mark.parametrize('model,message', [
    (dict(neck=dict(type='PaperFNP')),
     "model.neck.type='PaperFNP' is not a registered component; did you mean 'PaperFPN'"),
    (dict(neck=dict(num_out=5)),
     "model.neck.num_out: PaperFPN has no argument 'num_out'; did you mean 'num_outs'"),
    (dict(rpn_head=dict(anchor_generator=dict(anchor_size=[16, 32, 64, 128, 256]))),
     "model.rpn_head.anchor_generator.anchor_size: PaperAnchorGenerator has no argument "
     "'anchor_size'; did you mean 'anchor_sizes'"),
    (dict(roi_head=dict(bbox_roi_extractor=dict(canonical_scal=112))),
     "model.roi_head.bbox_roi_extractor.canonical_scal: PaperRoIExtractor has no argument "
     "'canonical_scal'; did you mean 'canonical_scale'"),
    (dict(neck=dict(in_channels=[256, 512, 1024, 2048])),
     'model.neck.in_channels=[256, 512, 1024, 2048] but the backbone (ResNet, '
     'out_indices=(0, 1, 2, 3)) outputs [64, 128, 256, 512] channels'),
    (dict(rpn_head=dict(anchor_generator=dict(strides=[8, 16, 32, 64, 128]))),
     'model.rpn_head.anchor_generator.strides=[8, 16, 32, 64, 128] but the neck gives 5 '
     'levels with strides [4, 8, 16, 32, 64]'),
    (dict(neck=dict(num_outs=4)),
     'model.rpn_head.anchor_generator.strides=[4, 8, 16, 32, 64] but the neck gives 4 '
     'levels with strides [4, 8, 16, 32]'),
    (dict(roi_head=dict(bbox_roi_extractor=dict(featmap_strides=[8, 16, 32, 64]))),
     'model.roi_head.bbox_roi_extractor.featmap_strides=[8, 16, 32, 64] but the feature '
     'maps it pools from have strides [4, 8, 16, 32]'),
    (dict(roi_head=dict(bbox_roi_extractor=dict(out_channels=256))),
     'model.roi_head.bbox_roi_extractor.out_channels=256 but the feature maps have 64'),
])
def test_bad_model_config_is_refused(model, message):
    with pytest.raises(ConfigError) as err:
        checked(**model)
    assert str(err.value).startswith(message)


OWN_DATA = osp.join(ROOT, 'configs/own_data/faster-rcnn_r50_paper-fpn_1x_own-data.py')


def test_pretrained_weights_that_cannot_be_had_are_refused_before_any_work():
    """The own-data template starts from ImageNet weights: offline (and without
    torchvision, which resolves torchvision:// names) that is said up front, with both
    ways out."""
    cfg = load_config(OWN_DATA)
    with pytest.raises(ConfigError) as err:
        check_pretrained_weights(cfg, reachable=lambda host: False)
    message = str(err.value)
    assert message.startswith("model.backbone.init_cfg.checkpoint='torchvision://resnet50': ")
    assert '--cfg-options model.backbone.init_cfg=None model.backbone.frozen_stages=-1' in message
    assert 'model.backbone.init_cfg.checkpoint=/path/to/weights.pth' in message


def test_pretrained_weights_from_a_cache_a_host_or_a_file(tmp_path, monkeypatch):
    url = 'https://download.example.org/models/resnet50-0676ba61.pth'
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path))
    offline = lambda host: False  # noqa: E731
    assert pretrained_unavailable(url, offline) == (
        f'{url} is not in the download cache ({tmp_path}/checkpoints/resnet50-0676ba61.pth) '
        'and cannot be reached from here')
    assert pretrained_unavailable(url, lambda host: host == 'download.example.org') is None
    (tmp_path / 'checkpoints').mkdir()
    (tmp_path / 'checkpoints' / 'resnet50-0676ba61.pth').write_bytes(b'')
    assert pretrained_unavailable(url, offline) is None
    assert pretrained_unavailable(str(tmp_path / 'nope.pth'), offline) == 'no such file'
    assert pretrained_unavailable(str(tmp_path / 'checkpoints' / 'resnet50-0676ba61.pth'),
                                  offline) is None
