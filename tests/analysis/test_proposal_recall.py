"""Recall per MLP: each object's best mask IoU, grouped by the head's assignment."""
import json

import numpy as np
import pycocotools.mask as mask_util
import pytest
import torch
from helpers import ROOT, refusal
from mmengine.fileio import dump

from mmfpn.analysis.proposal_recall import average_recall, recall_by_mlp

CONFIG = f'{ROOT}/configs/tiny/seg-proposal_r18_paper-fpn-dual_tiny.py'


def rle(x1: int, y1: int, x2: int, y2: int) -> dict:
    mask = np.zeros((64, 64), np.uint8)
    mask[y1:y2, x1:x2] = 1
    encoded = mask_util.encode(np.asfortranarray(mask))
    return dict(size=encoded['size'], counts=encoded['counts'].decode('ascii'))


@pytest.fixture
def scene(tmp_path):
    """One 64x64 image: a 12 px square (the 5x5 MLP's, stride 4: canonical 11.4 px),
    a 16 px one (the 7x7 MLP's, 16 px) and a 4 px one (no pair: under 11.4 / 2);
    proposals: the 12 px square exactly (score 0.1) and the 16 px one shifted by 3 px
    (IoU 13/19 = 0.68, score 0.9)."""
    boxes = [(4, 4, 16, 16), (30, 30, 46, 46), (50, 4, 54, 8)]
    anns = [dict(id=i + 1, image_id=1, category_id=1, iscrowd=0, segmentation=rle(*b),
                 bbox=[b[0], b[1], b[2] - b[0], b[3] - b[1]], area=(b[2] - b[0]) * (b[3] - b[1]))
            for i, b in enumerate(boxes)]
    ann_file = tmp_path / 'val.json'
    ann_file.write_text(json.dumps(dict(images=[dict(id=1, width=64, height=64, file_name='a.png')],
                                        annotations=anns, categories=[dict(id=1, name='x')])))
    config = tmp_path / 'config.py'
    config.write_text(f'_base_ = {CONFIG!r}\ntest_evaluator = dict(ann_file={str(ann_file)!r})\n')
    predictions = tmp_path / 'predictions.pkl'
    dump([dict(img_id=1, scale_factor=(1.0, 1.0), pred_instances=dict(
        masks=[rle(4, 4, 16, 16), rle(33, 30, 49, 46)], scores=torch.tensor([0.1, 0.9])))],
        str(predictions))
    return str(config), str(predictions)


def test_average_recall_counts_the_coco_thresholds_an_iou_reaches():
    assert average_recall([1.0, 13 / 19, 0.0]) == pytest.approx((10 + 4 + 0) / 30)
    assert average_recall([0.5]) == 0.1


def test_each_object_counts_in_the_group_of_the_mlp_it_is_assigned_to(scene):
    rows = {r.group: (r.objects, r.recall) for r in recall_by_mlp(*scene)}
    assert rows == {'all': (3, pytest.approx(14 / 30)), '5x5': (1, 1.0), '7x7': (1, 0.4),
                    'no pair': (1, 0.0)}
    by_level = {r.group for r in recall_by_mlp(*scene, by_level=True)}
    assert by_level == {'all', '5x5, stride 4', '7x7, stride 4', 'no pair'}


def test_only_the_best_scored_proposals_count(scene):
    rows = {r.group: r.recall for r in recall_by_mlp(*scene, max_dets=1)}
    assert rows['5x5'] == 0.0 and rows['7x7'] == 0.4


def test_a_model_without_the_segment_proposal_head_or_masks_is_refused(scene, tmp_path):
    message = refusal('proposal_recall', [f'{ROOT}/configs/tiny/faster-rcnn_r18_paper-fpn_tiny.py',
                                          scene[1]])
    assert 'FPNSegmentProposalHead' in message
    boxes_only = tmp_path / 'boxes.pkl'
    dump([dict(img_id=1, pred_instances=dict(scores=torch.tensor([0.5])))], str(boxes_only))
    assert 'holds no mask predictions' in refusal('proposal_recall', [scene[0], boxes_only])


def test_a_single_mlp_model_is_grouped_by_a_dual_models_assignment(scene, tmp_path):
    single = tmp_path / 'single.py'
    single.write_text(f'_base_ = {scene[0]!r}\nmodel = dict(bbox_head=dict(windows=(7,)))\n')
    assert {r.group for r in recall_by_mlp(str(single), scene[1])} == {'all', '7x7', 'no pair'}
    rows = {r.group: r.recall for r in recall_by_mlp(str(single), scene[1], groups_of=scene[0])}
    assert rows == {'all': pytest.approx(14 / 30), '5x5': 1.0, '7x7': 0.4, 'no pair': 0.0}
