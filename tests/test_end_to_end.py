"""Real runs of the tools on a few tiny images: train, resume, test, distributed.

Each test runs in its own directory holding a small generated ``data/tiny``, so
the configs' relative ``data_root`` resolves there.
"""
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
from helpers import FAST, ROOT, run, train
from helpers import TINY_CONFIG as CONFIG

pytestmark = pytest.mark.slow


def test_train_save_resume_and_test_from_checkpoint(workspace):
    work = str(workspace / 'work')
    out = train(workspace, work, 1)
    assert 'coco/bbox_mAP' in out.stdout + out.stderr
    ckpt = osp.join(work, 'epoch_1.pth')
    # mmengine's own checkpoint loads with torch's weights_only=True default.
    assert torch.load(ckpt, map_location='cpu')['meta']['epoch'] == 1

    out = train(workspace, work, 2, '--resume')
    log = out.stdout + out.stderr
    assert 'resumed epoch: 1' in log
    state = torch.load(osp.join(work, 'epoch_2.pth'), map_location='cpu')
    assert state['meta']['epoch'] == 2 and state['meta']['iter'] == 8

    pkl = str(workspace / 'results.pkl')
    out = run([osp.join(ROOT, 'tools/test.py'), CONFIG, osp.join(work, 'epoch_2.pth'),
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


def test_two_process_cpu_distributed_training(workspace):
    work = str(workspace / 'dist')
    env = {'PORT': str(29500 + os.getpid() % 1000), 'PYTHON': sys.executable}
    proc = subprocess.run(['bash', osp.join(ROOT, 'tools/dist_train.sh'), CONFIG, '2',
                           '--work-dir', work, '--cfg-options', 'train_cfg.max_epochs=1',
                           'train_cfg.val_interval=1', *FAST],
                          cwd=workspace, capture_output=True, text=True,
                          env={**os.environ, 'OMP_NUM_THREADS': '1', **env})
    assert proc.returncode == 0, proc.stderr[-6000:]
    assert 'Distributed launcher: pytorch' in proc.stdout + proc.stderr
    assert osp.exists(osp.join(work, 'epoch_1.pth'))
    assert 'coco/bbox_mAP' in proc.stdout + proc.stderr


@pytest.mark.parametrize('args,message', [
    (['configs/tiny/no-such-config.py'], 'does not exist'),
    (['CONFIG_NO_IMPORT'], 'does not import mmfpn'),
    (['CONFIG', '--cfg-options', "train_dataloader.dataset.metainfo.classes=['circle','Square']"],
     "class names ['Square']"),
])
def test_bad_input_gets_a_clear_error(workspace, args, message):
    no_import = workspace / 'no_import.py'
    no_import.write_text(f"_base_ = '{CONFIG}'\ncustom_imports = dict(imports=[])\n")
    args = [CONFIG if a == 'CONFIG' else str(no_import) if a == 'CONFIG_NO_IMPORT' else a
            for a in args]
    out = run([osp.join(ROOT, 'tools/train.py'), *args, '--work-dir', str(workspace / 'bad')],
              cwd=workspace, check=False)
    assert out.returncode != 0
    assert message in out.stderr
    assert 'Traceback' not in out.stderr


def test_rpn_config_trains_and_reports_average_recall(workspace):
    out = run([osp.join(ROOT, 'tools/train.py'), osp.join(ROOT, 'configs/tiny/rpn_r18_paper-fpn_tiny.py'),
               '--work-dir', str(workspace / 'rpn'), '--cfg-options', 'train_cfg.max_epochs=1',
               'train_cfg.val_interval=1', *FAST], cwd=workspace)
    log = out.stdout + out.stderr
    assert re.search(r'coco/AR@100: [0-9.]+ +coco/AR@300: [0-9.]+ +coco/AR@1000: [0-9.]+ +'
                     r'coco/AR_s@1000: [0-9.]+', log)


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
    out = run([*args[:4], '--fast'], cwd=workspace, check=False)
    assert out.returncode != 0 and '--tta and --fast cannot be combined' in out.stderr
