"""Real runs of the tools on a few tiny images: train, resume, test, distributed.

Each test runs in its own directory holding a small generated ``data/tiny``, so
the configs' relative ``data_root`` resolves there.
"""
import os.path as osp

import pytest
import torch
from helpers import FAST, ROOT, run, train
from helpers import TINY_CONFIG as CONFIG

pytestmark = pytest.mark.slow


def test_train_save_resume_and_test_from_checkpoint(workspace, trained_run):
    work, first, resumed = trained_run
    assert 'coco/bbox_mAP' in first
    # mmengine's own checkpoint loads with torch's weights_only=True default.
    assert torch.load(work / 'epoch_1.pth', map_location='cpu')['meta']['epoch'] == 1
    assert 'resumed epoch: 1' in resumed
    state = torch.load(work / 'epoch_2.pth', map_location='cpu')
    assert state['meta']['epoch'] == 2 and state['meta']['iter'] == 8

    pkl = str(workspace / 'results.pkl')
    out = run([osp.join(ROOT, 'tools/test.py'), CONFIG, str(work / 'epoch_2.pth'),
               '--work-dir', str(workspace / 'test'), '--out', pkl,
               '--cfg-options', *FAST], cwd=workspace)
    assert 'coco/bbox_mAP:' in out.stdout + out.stderr
    assert osp.getsize(pkl) > 0


def test_load_from_checkpoint_fails_without_mmfpn_allowlist(workspace, trained_checkpoint):
    """The fix is needed: plain torch.load of an mmengine checkpoint is refused."""
    ckpt = trained_checkpoint
    code = (f'import torch\ntry:\n    torch.load({str(ckpt)!r})\nexcept Exception as e:\n'
            f'    print(type(e).__name__, e)\nelse:\n    print("loaded")')
    out = run(['-c', code], cwd=workspace)
    assert 'UnpicklingError' in out.stdout and 'HistoryBuffer' in out.stdout


def test_mim_train_and_test_mmfpn(workspace):
    work = workspace / 'mim'
    out = run(['-m', 'mim', 'train', 'mmfpn', 'faster-rcnn_r18_paper-fpn_tiny.py',
               '--work-dir', str(work), '--cfg-options', 'train_cfg.max_epochs=1',
               'train_cfg.val_interval=1', *FAST], cwd=workspace)
    assert 'we find the config file in codebase mmfpn' in out.stdout
    assert 'coco/bbox_mAP' in out.stdout + out.stderr
    out = run(['-m', 'mim', 'test', 'mmfpn', 'faster-rcnn_r18_paper-fpn_tiny.py',
               '--checkpoint', str(work / 'epoch_1.pth'), '--work-dir', str(workspace / 'mim_test'),
               '--cfg-options', *FAST], cwd=workspace)
    assert 'coco/bbox_mAP:' in out.stdout + out.stderr


def test_flip_tta_evaluates_like_mmdets_tools_test(workspace, trained_checkpoint):
    args = [osp.join(ROOT, 'tools/test.py'), CONFIG, trained_checkpoint, '--tta',
            '--work-dir', str(workspace / 'tta'), '--cfg-options', *FAST]
    out = run(args, cwd=workspace)
    log = out.stdout + out.stderr
    assert 'coco/bbox_mAP:' in log and 'DetTTAModel' in log


def test_segment_proposals_train_and_test_with_mmdets_tools(workspace):
    """Sec. 6's head runs through ``tools/train.py`` and ``tools/test.py`` unchanged and
    reports class-agnostic mask recall."""
    config = osp.join(ROOT, 'configs/tiny/seg-proposal_r18_paper-fpn-dual_tiny.py')
    work = workspace / 'seg-proposal'
    fewer_masks = 'model.test_cfg.max_per_img=100'  # pasting 1000 masks dominates
    out = train(workspace, work, 1, config=config, options=[fewer_masks])
    assert 'coco/AR@1000:' in out.stdout + out.stderr
    pkl = workspace / 'seg-proposals.pkl'
    out = run([osp.join(ROOT, 'tools/test.py'), config, str(work / 'epoch_1.pth'),
               '--work-dir', str(workspace / 'seg-proposal-test'), '--out', str(pkl),
               '--cfg-options', *FAST, fewer_masks], cwd=workspace)
    log = out.stdout + out.stderr
    assert all(f'coco/{key}:' in log for key in ('AR@100', 'AR@1000', 'AR_s@1000', 'AR_l@1000'))
    out = run([osp.join(ROOT, 'tools/proposal_recall.py'), config, str(pkl)], cwd=workspace)
    assert [line.split(' | ')[0] for line in out.stdout.splitlines()[2:]] == [
        '| all', '| 5x5', '| 7x7']


def test_mask_rcnn_trains_and_reports_box_and_mask_ap(workspace):
    out = train(workspace, workspace / 'mask-rcnn', 1,
                config=osp.join(ROOT, 'configs/tiny/mask-rcnn_r18_paper-fpn_tiny.py'))
    log = out.stdout + out.stderr
    assert 'coco/bbox_mAP:' in log and 'coco/segm_mAP:' in log
