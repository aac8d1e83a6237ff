"""Pictures: mask proposals drawn side by side, one colour per rank."""
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
