"""Table 2's pipeline end to end on a few tiny images: a short RPN training (which
reports Table 1's AR), its
train and val proposals dumped in mmdet's format (AR reported on val), and one
Fast R-CNN epoch on those fixed proposals, which reports box AP."""
import os.path as osp
import pickle
import re

import pytest
from helpers import FAST, ROOT, run

pytestmark = pytest.mark.slow
RPN = osp.join(ROOT, 'configs/tiny/rpn_r18_paper-fpn_tiny.py')
FAST_RCNN = osp.join(ROOT, 'configs/tiny/fast-rcnn_r18_paper-fpn_tiny.py')
ONE_EPOCH = ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1', *FAST]


def test_rpn_then_dumped_proposals_then_fast_rcnn(workspace):
    work = workspace / 'table2'
    out = run([osp.join(ROOT, 'tools/train.py'), RPN, '--work-dir', str(work / 'rpn'),
               '--cfg-options', *ONE_EPOCH], cwd=workspace)
    # An RPN config trains and reports Table 1's average recalls.
    assert re.search(r'coco/AR@100: [0-9.]+ +coco/AR@300: [0-9.]+ +coco/AR@1000: [0-9.]+ +'
                     r'coco/AR_s@1000: [0-9.]+', out.stdout + out.stderr)
    ckpt = str(work / 'rpn' / 'epoch_1.pth')
    dumped = {}
    for split in ('train', 'val'):
        out = run([osp.join(ROOT, 'tools/dump_proposals.py'), RPN, ckpt, '--split', split,
                   '--work-dir', str(work / f'dump_{split}')], cwd=workspace)
        path = workspace / 'data/tiny/proposals' / f'rpn_r18_paper-fpn_tiny_{split}.pkl'
        with open(path, 'rb') as f:
            dumped[split] = pickle.load(f)
        if split == 'val':
            assert 'coco/AR@1000:' in out.stdout + out.stderr
    # mmdet's proposal format: 'folder/file' -> InstanceData(bboxes (N, 4), scores (N,)).
    assert len(dumped['train']) == 8 and len(dumped['val']) == 4
    key, proposals = next(iter(dumped['train'].items()))
    assert key.startswith('train/') and proposals.bboxes.shape == (len(proposals.scores), 4)
    out = run([osp.join(ROOT, 'tools/train.py'), FAST_RCNN, '--work-dir', str(work / 'fast'),
               '--cfg-options', *ONE_EPOCH], cwd=workspace)
    assert 'coco/bbox_mAP:' in out.stdout + out.stderr
