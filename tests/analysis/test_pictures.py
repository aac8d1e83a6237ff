"""Pictures: mask proposals drawn side by side, one colour per rank; detections beside
the ground truth."""
import mmcv
import torch
from helpers import ROOT

from mmfpn.analysis.pictures import draw_mask_proposals

CONFIG = f'{ROOT}/configs/tiny/seg-proposal_r18_paper-fpn-dual_tiny.py'


def test_proposals_of_two_images_are_drawn_side_by_side(tmp_path, workspace):
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    torch.manual_seed(0)
    checkpoint = tmp_path / 'random.pth'
    torch.save({'state_dict': MODELS.build(Config.fromfile(CONFIG).model).state_dict()},
               checkpoint)
    images = [f'{workspace}/data/tiny/val/00001.png', f'{workspace}/data/tiny/val/00002.png']
    out = draw_mask_proposals(CONFIG, str(checkpoint), images, str(tmp_path / 'p.png'), top_k=3)
    assert mmcv.imread(out).shape == (320, 2 * (320 + 4), 3)


def test_detections_are_drawn_beside_the_ground_truth_at_twice_the_size(tmp_path, workspace):
    import json

    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmfpn.analysis.pictures import draw_detections, ground_truth
    from helpers import TINY_CONFIG
    init_default_scope('mmdet')
    torch.manual_seed(0)
    cfg = Config.fromfile(TINY_CONFIG)
    checkpoint = tmp_path / 'random.pth'
    torch.save({'meta': {'dataset_meta': dict(cfg.metainfo)},
                'state_dict': MODELS.build(cfg.model).state_dict()}, checkpoint)
    ann_file = f'{workspace}/data/tiny/annotations/instances_val.json'
    truth = ground_truth(ann_file, cfg.metainfo['classes'])
    with open(ann_file) as f:
        coco = json.load(f)
    first = coco['images'][0]
    anns = [a for a in coco['annotations'] if a['image_id'] == first['id'] and not a['iscrowd']]
    x, y, w, h = anns[0]['bbox']
    assert truth[first['file_name']].bboxes[0].tolist() == [x, y, x + w, y + h]
    assert len(truth[first['file_name']]) == len(anns)
    image = f'{workspace}/data/tiny/val/{first["file_name"]}'
    both = draw_detections(TINY_CONFIG, str(checkpoint), [image], str(tmp_path / 'gt'),
                           ann_file=ann_file)
    alone = draw_detections(TINY_CONFIG, str(checkpoint), [image], str(tmp_path / 'pred'))
    assert mmcv.imread(both[0]).shape == (640, 2 * 640, 3)  # ground truth | predictions
    assert mmcv.imread(alone[0]).shape == (640, 640, 3)
