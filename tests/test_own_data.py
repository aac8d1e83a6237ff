"""Own data, the README's way: a COCO-format set unlike the tiny one (category ids 7
and 42 in another order than the config's classes, several image sizes, grayscale and
RGBA PNGs, a crowd box, a box of an unused category, images without objects) through
the template config: scale analysis -> train -> test -> inference -> export to stock
mmdet. And the bad inputs: no usable box, a config without anchors."""
import json
import os.path as osp
import re

import cv2
import numpy as np
import pytest
from helpers import ROOT, STOCK_INFER, refusal, run

TEMPLATE = osp.join(ROOT, 'configs/own_data/faster-rcnn_r50_paper-fpn_1x_own-data.py')
CATEGORIES = [{'id': 42, 'name': 'nut'}, {'id': 7, 'name': 'bolt'}, {'id': 3, 'name': 'washer'}]
#: (file, (height, width), channels, objects as (category id, x, y, w, h, iscrowd)).
TRAIN = [('a.png', (120, 160), 3, [(7, 10, 10, 40, 30, 0), (42, 80, 50, 50, 50, 0)]),
         ('b.png', (200, 96), 1, [(42, 20, 30, 40, 60, 0), (7, 5, 120, 60, 40, 1)]),
         ('c.png', (144, 144), 4, [(7, 30, 30, 70, 20, 0), (3, 0, 0, 20, 20, 0)]),
         ('d.png', (100, 200), 3, []),
         ('e.png', (128, 128), 1, [(42, 60, 60, 30, 30, 0), (7, 10, 90, 50, 25, 0)]),
         ('f.png', (160, 120), 4, [])]
VAL = [('g.png', (130, 170), 1, [(42, 40, 40, 40, 40, 0), (7, 100, 20, 40, 30, 0)]),
       ('h.png', (150, 110), 4, [(7, 20, 60, 60, 30, 0)]),
       ('i.png', (90, 90), 3, [])]


def write_split(root, split, images, crowd_only=False):
    coco = dict(images=[], annotations=[], categories=CATEGORIES)
    rng = np.random.default_rng(len(images))
    for image_id, (name, (h, w), channels, objects) in enumerate(images, start=1):
        pixels = rng.integers(0, 60, (h, w, 3), dtype=np.uint8)
        for cat, x, y, bw, bh, _ in objects:
            pixels[y:y + bh, x:x + bw] = (200, 80, 40) if cat == 7 else (40, 200, 200)
        if channels == 1:
            pixels = cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)
        elif channels == 4:
            pixels = cv2.cvtColor(pixels, cv2.COLOR_BGR2BGRA)
        path = root / split / name
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), pixels)
        coco['images'].append(dict(id=image_id, file_name=name, height=h, width=w))
        for cat, x, y, bw, bh, crowd in objects:
            coco['annotations'].append(dict(
                id=len(coco['annotations']) + 1, image_id=image_id, category_id=cat,
                bbox=[x, y, bw, bh], area=bw * bh, iscrowd=int(crowd or crowd_only)))
    (root / 'annotations').mkdir(exist_ok=True)
    (root / 'annotations' / f'{split}.json').write_text(json.dumps(coco))


def user_config(tmp, data_root, classes=('bolt', 'nut')):
    """The template copied and edited as the README says, and a child that makes it
    run in seconds (random weights, small images, one epoch, batch 2)."""
    text = open(TEMPLATE).read()
    for key, value in (('data_root', repr(str(data_root) + '/')), ('classes', repr(classes)),
                       ('image_scale', '(256, 192)')):
        text, n = re.subn(rf'^{key} = .*$', f'{key} = {value}', text, count=1, flags=re.M)
        assert n == 1, key
    (tmp / 'my_config.py').write_text(text.replace("'../faster-rcnn/",
                                                   repr(ROOT + '/configs/faster-rcnn/')[:-1]))
    (tmp / 'my_config_ci.py').write_text(
        "_base_ = './my_config.py'\n"
        'model = dict(backbone=dict(init_cfg=None))  # no download in the suite\n'
        'train_cfg = dict(max_epochs=1, val_interval=1)\n'
        'train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False)\n'
        'val_dataloader = dict(num_workers=0, persistent_workers=False)\n'
        'test_dataloader = dict(num_workers=0, persistent_workers=False)\n'
        'default_hooks = dict(logger=dict(interval=1))\n')
    return str(tmp / 'my_config_ci.py')


@pytest.fixture(scope='module')
def own_data(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('own')
    write_split(tmp / 'data', 'train', TRAIN)
    write_split(tmp / 'data', 'val', VAL)
    return tmp, user_config(tmp, tmp / 'data')


@pytest.mark.slow
def test_template_on_odd_data_train_test_infer_export(own_data):
    tmp, config = own_data
    scales = run([osp.join(ROOT, 'tools/analyze_scales.py'), config, '--out',
                  str(tmp / 'scales.png')], cwd=tmp).stdout
    # 8 boxes: the crowd box and the 'washer' box are not trained on.
    assert "6 boxes (dropped: {'crowd': 1, 'other_class': 1})" in scales
    assert '| config: < pos 0.7 | config: < neg 0.3 | recommended: < pos | recommended: < neg |' in scales
    assert 'Recommended: ' in scales and (tmp / 'scales.png').is_file()

    out = run([osp.join(ROOT, 'tools/train.py'), config, '--work-dir', str(tmp / 'work')],
              cwd=tmp)
    log = out.stdout + out.stderr
    assert 'train.json: 6 images, 4 with objects, 2 without (negatives), 8 boxes' in log
    assert 'val.json: 3 images, 2 with objects, 1 without (negatives), 3 boxes' in log
    checkpoint = str(tmp / 'work' / 'epoch_1.pth')
    assert osp.isfile(checkpoint)

    test = run([osp.join(ROOT, 'tools/test.py'), config, checkpoint, '--work-dir',
                str(tmp / 'test')], cwd=tmp)
    assert 'coco/bbox_mAP:' in test.stdout + test.stderr

    gray, rgba = str(tmp / 'data/val/g.png'), str(tmp / 'data/val/h.png')
    infer = run([osp.join(ROOT, 'tools/infer.py'), config, checkpoint, gray, rgba,
                 '--out-dir', str(tmp / 'infer'), '--score-thr', '0'], cwd=tmp).stdout
    assert f'{gray}: ' in infer and f'{rgba}: ' in infer
    for name in ('g', 'h'):
        pred = json.loads((tmp / 'infer' / 'preds' / f'{name}.json').read_text())
        assert set(pred) >= {'labels', 'scores', 'bboxes'}
        assert set(pred['labels']) <= {0, 1}  # two classes, whatever the JSON's ids
        assert (tmp / 'infer' / 'vis' / f'{name}.png').is_file()

    exported = run([osp.join(ROOT, 'tools/export_mmdet.py'), config, checkpoint,
                    str(tmp / 'export')], cwd=tmp).stdout.split()[-2:]
    run([STOCK_INFER, *exported, str(tmp / 'stock.npz'), gray, rgba], cwd=tmp)
    stock = np.load(tmp / 'stock.npz')
    assert stock['labels0'].max() <= 1 and stock['bboxes1'].shape[1] == 4


def test_dataset_without_usable_boxes_is_refused(tmp_path, monkeypatch):
    write_split(tmp_path / 'data', 'train', TRAIN, crowd_only=True)
    write_split(tmp_path / 'data', 'val', VAL)
    config = user_config(tmp_path, tmp_path / 'data')
    monkeypatch.chdir(tmp_path)
    for tool in ('analyze_scales', 'train'):
        message = refusal(tool, [config])
        assert 'has no usable training image' in message, tool
        assert 'Check the annotation file and metainfo.classes' in message
