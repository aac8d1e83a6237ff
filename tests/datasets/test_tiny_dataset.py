"""The embedded dataset: deterministic, COCO-valid, scale-stressing."""
import json

from pycocotools.coco import COCO

from mmfpn.datasets.tiny import CLASSES, TinySpec, generate, size_histogram


def read_json(path):
    with open(path) as f:
        return json.load(f)


def test_generation_is_deterministic_and_stresses_scale(tmp_path):
    spec = TinySpec(num_train=40, num_val=10)
    files = generate(str(tmp_path / 'a'), spec)
    again = generate(str(tmp_path / 'b'), spec)
    for split in ('train', 'val'):
        assert read_json(files[split]) == read_json(again[split])
        assert (tmp_path / 'a' / split / '00001.png').read_bytes() == \
            (tmp_path / 'b' / split / '00001.png').read_bytes()
    hist = size_histogram(files['train'])
    assert hist['small'] >= 0.30 and hist['large'] >= 0.20 and hist['count'] > 100
    coco = COCO(files['train'])
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == list(CLASSES)
    for ann in coco.loadAnns(coco.getAnnIds()):
        x, y, w, h = ann['bbox']
        assert 6 <= w and 6 <= h and x >= 0 and y >= 0 and x + w <= 320 and y + h <= 320
    sides = sorted(a['area'] ** 0.5 for a in coco.loadAnns(coco.getAnnIds()))
    assert sides[0] < 10 and sides[-1] > 150


def test_other_seed_other_scenes(tmp_path):
    a = generate(str(tmp_path / 'a'), TinySpec(num_train=2, num_val=1, seed=0))
    b = generate(str(tmp_path / 'b'), TinySpec(num_train=2, num_val=1, seed=1))
    assert read_json(a['train']) != read_json(b['train'])


def test_the_tiny_configs_name_the_generators_classes():
    """The class names live in mmfpn.datasets.tiny; the dataset config repeats them
    (configs cannot import package code) and must agree."""
    from helpers import TINY_CONFIG
    from mmengine.config import Config
    assert Config.fromfile(TINY_CONFIG).train_dataloader.dataset.metainfo.classes == CLASSES


#: sha256 of ``[[image_id, category_id, bbox, area], ...]`` of the default set as
#: written before masks were added (format 1): adding masks changed no box.
BOXES_SHA256 = {'train': '7fc36bfbde8389a2bbb5f1e85c770a3544a24d24710aaa6b78813fd2ffc591f2',
                'val': '4144f342fc2fdba019481b63d740d184a33c587e94acc353245d29f6de23661f'}


def test_visible_masks_leave_the_boxes_byte_identical_and_never_overlap(tmp_path):
    import hashlib

    import numpy as np
    import pycocotools.mask as mask_util
    files = generate(str(tmp_path / 'tiny'))
    for split, digest in BOXES_SHA256.items():
        data = read_json(files[split])
        key = json.dumps([[a['image_id'], a['category_id'], a['bbox'], a['area']]
                          for a in data['annotations']])
        assert hashlib.sha256(key.encode()).hexdigest() == digest
        assert data['info']['format'] == 2
    coco = COCO(files['val'])
    unoccluded_squares = 0
    for image_id in coco.getImgIds():
        anns = coco.loadAnns(coco.getAnnIds(imgIds=image_id))
        masks = np.stack([mask_util.decode(a['segmentation']) for a in anns])
        assert masks.sum(0).max() <= 1  # every pixel belongs to at most one object
        for a, m in zip(anns, masks):
            x, y, w, h = map(int, a['bbox'])
            # inside its box, give or take the one pixel the drawn shapes spill over
            assert m.sum() == m[max(y - 1, 0):y + h + 1, max(x - 1, 0):x + w + 1].sum()
        last = anns[-1]  # drawn last: nothing covers it; a square fills its box exactly
        if last['category_id'] == 2:
            unoccluded_squares += 1
            assert masks[-1].sum() == last['area']
    assert unoccluded_squares > 0


def test_a_set_in_the_old_format_is_regenerated(tmp_path):
    from mmfpn.datasets.tiny import ensure_tiny
    spec = TinySpec(num_train=2, num_val=1)
    files = generate(str(tmp_path), spec)
    data = read_json(files['train'])
    del data['info']
    for ann in data['annotations']:
        del ann['segmentation']
    with open(files['train'], 'w') as f:
        json.dump(data, f)
    ensure_tiny(str(tmp_path), spec)
    assert all('segmentation' in a for a in read_json(files['train'])['annotations'])
