"""COCO AP of an image with more objects than 100: every AP at the largest maxDets."""
import json

import numpy as np
import pytest
import torch
from mmdet.evaluation import CocoMetric

from mmfpn.evaluation import DenseCocoMetric


@pytest.fixture()
def dense_image(tmp_path):
    """One 2000x2000 image with 150 boxes of 20x20 px on a grid; the detections are
    the boxes themselves, scored 1.0 down to 0.85."""
    boxes = [[40.0 * (i % 15), 40.0 * (i // 15), 20.0, 20.0] for i in range(150)]
    coco = dict(images=[dict(id=1, file_name='a.png', width=2000, height=2000)],
                annotations=[dict(id=i + 1, image_id=1, category_id=1, bbox=b, area=400.0,
                                  iscrowd=0) for i, b in enumerate(boxes)],
                categories=[dict(id=1, name='tree')])
    path = tmp_path / 'dense.json'
    path.write_text(json.dumps(coco))
    xyxy = torch.tensor([[x, y, x + w, y + h] for x, y, w, h in boxes])
    pred = dict(bboxes=xyxy, scores=torch.linspace(1.0, 0.85, 150), labels=torch.zeros(150).long())
    return str(path), [dict(img_id=1, ori_shape=(2000, 2000), pred_instances=pred)]


def evaluate(metric, samples):
    metric.dataset_meta = dict(classes=('tree',))
    metric.process({}, samples)
    return metric.evaluate(1)


def test_every_ap_counts_up_to_the_largest_max_dets(dense_image):
    ann, samples = dense_image
    stock = evaluate(CocoMetric(ann_file=ann, proposal_nums=(100, 300, 1000)), samples)
    dense = evaluate(DenseCocoMetric(ann_file=ann, proposal_nums=(100, 300, 1000)), samples)
    # pycocotools' headline AP stops at 100 boxes: recall 100/150, precision 1 up to it,
    # so 67 of the 101 recall thresholds -> 67/101; its AP_50 and AP_s use maxDets[2].
    assert stock['coco/bbox_mAP'] == round(67 / 101, 3) and stock['coco/bbox_mAP_50'] == 1.0
    assert dense['coco/bbox_mAP'] == 1.0 and dense['coco/bbox_mAP_s'] == 1.0
    assert dense['coco/bbox_mAP_50'] == stock['coco/bbox_mAP_50']


def test_sparse_images_score_as_cocometric(dense_image):
    ann, samples = dense_image
    samples[0]['pred_instances'] = {k: v[:60] for k, v in samples[0]['pred_instances'].items()}
    stock = evaluate(CocoMetric(ann_file=ann), samples)
    dense = evaluate(DenseCocoMetric(ann_file=ann), samples)
    assert dense == stock and np.isclose(stock['coco/bbox_mAP'], round(41 / 101, 3))
