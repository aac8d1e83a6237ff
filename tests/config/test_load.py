"""load_config reads mmdet's own configs by their mmengine names, and names bad ones."""
import pytest

from helpers import TINY_CONFIG

from mmfpn.config.load import ConfigError, load_config, set_loader_workers


def test_an_mmdet_config_is_read_by_its_package_name():
    cfg = load_config('mmdet::retinanet/retinanet_r50_fpn_1x_coco.py')
    assert cfg.model.neck.type == 'FPN' and cfg.model.type == 'RetinaNet'


@pytest.mark.parametrize('name,message', [
    ('mmdet::retinanet/retina.py', "mmdet has no config 'retinanet/retina.py'"),
    ('mmnothere::a/b.py', "package 'mmnothere' is not installed"),
])
def test_a_missing_package_config_is_named(name, message):
    with pytest.raises(ConfigError, match=message):
        load_config(name)


def test_a_config_using_an_mmfpn_hook_without_importing_mmfpn_is_refused(tmp_path):
    path = tmp_path / 'hooked.py'
    path.write_text("custom_hooks = [dict(type='FiniteLossHook')]\n")
    with pytest.raises(ConfigError, match='uses FiniteLossHook but does not import mmfpn'):
        load_config(str(path))


@pytest.mark.parametrize('workers', [0, 3])
def test_workers_set_every_loader(workers):
    cfg = load_config(TINY_CONFIG)
    set_loader_workers(cfg, workers)
    loaders = [cfg[key] for key in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    assert [(loader.num_workers, loader.persistent_workers) for loader in loaders] == \
        [(workers, workers > 0)] * 3
