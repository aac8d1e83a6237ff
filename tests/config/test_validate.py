"""Bad model configs are refused at build time with the key, the value and the fix."""
import pytest
from helpers import TINY_CONFIG
from mmengine.config import Config

from mmfpn.config.load import ConfigError
from mmfpn.config.validate import check_model_config


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
