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
