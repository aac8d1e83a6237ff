"""Bad data: a clear error before training, or a logged and counted skip."""
import json
import shutil

import cv2
import numpy as np
import pytest
import torch
from helpers import TINY_CONFIG
from mmdet.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from mmfpn.datasets.tiny import TinySpec, generate
from mmfpn.config.load import ConfigError
from mmfpn.datasets.checks import check_data, image_file_problem


@pytest.fixture()
def data(tmp_path):
    """A 4+2 image tiny set under tmp_path/data/tiny, and a config pointing at it."""
    generate(str(tmp_path / 'data' / 'tiny'), TinySpec(num_train=4, num_val=2))
    cfg = Config.fromfile(TINY_CONFIG)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = str(tmp_path / 'data' / 'tiny') + '/'
    return tmp_path / 'data' / 'tiny', cfg


def edit_train(root, edit):
    path = root / 'annotations' / 'instances_train.json'
    coco = json.loads(path.read_text())
    edit(coco)
    path.write_text(json.dumps(coco))


def test_clean_data_passes(data):
    check_data(data[1])


def test_no_usable_image_is_refused(data):
    root, cfg = data

    def zero_size(coco):
        for ann in coco['annotations']:
            ann['bbox'][2] = 0
    edit_train(root, zero_size)
    with pytest.raises(ConfigError, match='has no usable training image: 4 images'):
        check_data(cfg)


def test_degenerate_boxes_are_logged_and_counted(data, log_messages):
    root, cfg = data

    def degenerate(coco):
        coco['annotations'][0]['bbox'][2] = 0
        coco['annotations'][1]['bbox'][3] = -5
    edit_train(root, degenerate)
    check_data(cfg)
    assert any('skipping 2 boxes of zero or negative size (annotation ids [1, 2])' in m
               for m in log_messages)


def test_missing_image_is_refused(data):
    root, cfg = data
    (root / 'train' / '00003.png').unlink()
    with pytest.raises(ConfigError, match=r"1 image files .* are missing .*'00003.png'"):
        check_data(cfg)


def test_corrupt_image_is_refused(data):
    root, cfg = data
    (root / 'train' / '00002.png').write_bytes(b'\x89PNG not really')
    with pytest.raises(ConfigError, match=r"1 image files .* cannot be decoded, e.g. \['00002.png'\]"):
        check_data(cfg)


def encoded(ext):
    ok, data = cv2.imencode(ext, np.full((24, 32, 3), 127, np.uint8))
    return data.tobytes()


@pytest.mark.parametrize('content,problem', [
    (encoded('.png'), None),
    (encoded('.jpg'), None),
    (encoded('.bmp'), None),
    (encoded('.png')[:-20], 'a PNG without its end marker (truncated)'),
    (encoded('.jpg')[:-20], 'a JPEG without its end marker (truncated)'),
    (encoded('.bmp')[:-20], 'a BMP shorter than its header says (truncated)'),
    (b'<html><body>404 Not Found</body></html>', 'text, not an image'),
    (b'', 'empty'),
], ids=['png', 'jpeg', 'bmp', 'png cut', 'jpeg cut', 'bmp cut', 'html', 'empty'])
def test_image_headers_and_ends_are_checked_without_decoding(tmp_path, content, problem):
    path = tmp_path / 'image'
    path.write_bytes(content)
    assert image_file_problem(str(path)) == problem


def test_every_file_is_header_checked_beyond_the_decode_limit(data):
    """A COCO-sized set is not decoded up front (verify_images_up_to), but a truncated
    file is still found before training, by name."""
    root, cfg = data
    png = (root / 'train' / '00003.png').read_bytes()
    (root / 'train' / '00003.png').write_bytes(png[:len(png) // 2])
    with pytest.raises(ConfigError, match=r"1 image files .* are broken, e.g. '00003.png' "
                                          r'\(a PNG without its end marker \(truncated\)\)'):
        check_data(cfg, verify_images_up_to=0)


def test_images_without_objects_are_kept_and_train(data):
    root, cfg = data
    shutil.copy(root / 'train' / '00001.png', root / 'train' / '00005.png')

    def add_negative(coco):
        coco['images'].append(dict(coco['images'][0], id=5, file_name='00005.png'))
    edit_train(root, add_negative)
    check_data(cfg)
    init_default_scope('mmdet')
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(dataset) == 5
    negative = next(i for i in range(len(dataset))
                    if len(dataset[i]['data_samples'].gt_instances) == 0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    batch = model.data_preprocessor(pseudo_collate([dataset[negative], dataset[0]]), True)
    total, _ = model.parse_losses(model(**batch, mode='loss'))
    assert torch.isfinite(total)


SEG_CONFIG = 'configs/tiny/seg-proposal_r18_paper-fpn-dual_tiny.py'


def mask_config(root):
    from helpers import ROOT
    cfg = Config.fromfile(f'{ROOT}/{SEG_CONFIG}')
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = str(root) + '/'
    return cfg


def test_a_mask_model_on_a_set_without_masks_is_refused_naming_the_fix(data):
    root, _ = data
    cfg = mask_config(root)
    check_data(cfg)  # the tiny set has masks

    def drop_masks(coco):
        for ann in coco['annotations']:
            del ann['segmentation']
    edit_train(root, drop_masks)
    with pytest.raises(ConfigError, match=r'objects have no "segmentation" \(first: annotation '
                                          r'id 1\).*train a box-only model'):
        check_data(cfg)
    cfg.train_dataloader.dataset.pipeline[1].with_mask = False
    with pytest.raises(ConfigError, match='does not load them: use .*with_mask=True'):
        check_data(cfg)
