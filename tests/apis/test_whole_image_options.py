"""The options ``tools/eval_large_images.py`` evaluates whole images with."""
from helpers import ROOT

from mmfpn.apis.large_images import megapixels, whole_set_options
from mmfpn.datasets.tiny import TinySpec, generate

TREES = f'{ROOT}/configs/trees/faster-rcnn_r18_paper-fpn_trees.py'
TINY = f'{ROOT}/configs/tiny/faster-rcnn_r18_paper-fpn_tiny.py'


def test_whole_images_are_read_under_the_configs_data_root_and_evaluated_densely():
    options = whole_set_options(TREES, 'annotations/instances_val_whole.json', 'val_whole/')
    assert options == {
        'test_dataloader.dataset.ann_file': 'annotations/instances_val_whole.json',
        'test_dataloader.dataset.data_prefix.img': 'val_whole/',
        'test_evaluator.ann_file': 'data/trees/annotations/instances_val_whole.json',
        'test_evaluator.type': 'DenseCocoMetric',
        'test_evaluator.proposal_nums': (100, 300, 1000),
        'test_evaluator.metric_items': ['mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l',
                                        'AR@1000']}


def test_megapixels_of_the_test_set(tmp_path, monkeypatch):
    generate(str(tmp_path / 'data' / 'tiny'), TinySpec(num_train=1, num_val=3))
    monkeypatch.chdir(tmp_path)
    assert megapixels(TINY, {}) == 3 * 320 * 320 / 1e6
