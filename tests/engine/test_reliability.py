"""Nothing is lost: NaN losses stop cleanly, saves are atomic, kill + resume is exact."""
import os
import os.path as osp
import resource
import shutil
import signal
import subprocess
import sys

import pytest
import torch
from helpers import FAST, ROOT, TINY_CONFIG, run

pytestmark = pytest.mark.slow
DETERMINISTIC = ['randomness.deterministic=True', 'train_cfg.max_epochs=3',
                 'train_cfg.val_interval=3']


def train_args(work_dir, *options, resume=False):
    return [osp.join(ROOT, 'tools/train.py'), TINY_CONFIG, '--work-dir', str(work_dir),
            *(['--resume'] if resume else []), '--cfg-options', *FAST, *options]


def test_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(workspace):
    work = workspace / 'nan'
    # Epoch 1 trains normally; at epoch 2 the learning rate jumps by 1e9.
    out = run(train_args(work, 'train_cfg.max_epochs=3', 'train_cfg.val_interval=3',
                         'param_scheduler.1.milestones=[1]', 'param_scheduler.1.gamma=1e9'),
              cwd=workspace, check=False)
    assert out.returncode != 0
    assert 'NonFiniteLossError: non-finite loss at iteration' in out.stderr
    assert 'loss_' in out.stderr.split('non-finite loss at iteration')[1].splitlines()[0]
    good = torch.load(work / 'epoch_1.pth', map_location='cpu')
    assert all(torch.isfinite(v).all() for v in good['state_dict'].values())
    assert not (work / 'epoch_2.pth').exists() and not (work / 'epoch_3.pth').exists()


WRITER = '''
import sys, torch
backend_args = None
if sys.argv[2] == 'mmfpn':  # what the default runtime's CheckpointHook passes
    import mmfpn
    backend_args = dict(backend='atomic_local')
from mmengine.runner.checkpoint import save_checkpoint
for version, numel in ((1, 1_000_000), (2, 20_000_000)):
    save_checkpoint({'version': version, 'blob': torch.ones(numel)}, sys.argv[1],
                    backend_args=backend_args)
'''


def crash_while_saving(target, importing):
    """Save v1 (4 MB), then v2 (80 MB) under a 40 MB file-size limit: the writer
    dies in the middle of writing v2 (EFBIG; Python ignores SIGXFSZ)."""
    limit = 40 << 20
    proc = subprocess.run(
        [sys.executable, '-c', WRITER, str(target), importing], capture_output=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
    assert proc.returncode != 0 and b'File too large' in proc.stderr, proc.stderr[-2000:]


def test_crash_while_saving_never_leaves_a_truncated_checkpoint(tmp_path):
    stock = tmp_path / 'stock.pth'
    crash_while_saving(stock, 'stock')  # control: mmengine alone truncates the file
    with pytest.raises(Exception):
        torch.load(stock, weights_only=True)
    ours = tmp_path / 'ours.pth'
    crash_while_saving(ours, 'mmfpn')
    assert torch.load(ours, weights_only=True)['version'] == 1  # the previous, whole file


def test_atomic_saves_are_chosen_by_the_config_not_by_the_import():
    from mmengine.config import Config
    from mmengine.fileio import get_file_backend
    from mmengine.fileio.backends import LocalBackend

    from mmfpn.engine.atomic_io import AtomicLocalBackend
    assert type(get_file_backend('work_dirs/x.pth')) is LocalBackend  # mmengine's, untouched
    hook = Config.fromfile(TINY_CONFIG).default_hooks.checkpoint
    assert isinstance(get_file_backend('work_dirs/x.pth', backend_args=hook.backend_args),
                      AtomicLocalBackend)


def test_sigkill_mid_epoch_then_resume_equals_an_uninterrupted_run(workspace):
    straight = workspace / 'straight'
    run(train_args(straight, *DETERMINISTIC), cwd=workspace)

    killed = workspace / 'killed'
    proc = subprocess.Popen([sys.executable, *train_args(killed, *DETERMINISTIC)],
                            cwd=workspace, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, 'OMP_NUM_THREADS': '1'})
    lines = []
    for line in proc.stdout:  # wait until epoch 3 has begun
        lines.append(line)
        if 'Epoch(train) [3][1/4]' in line:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (killed / 'epoch_2.pth').exists(), ''.join(lines[-20:])
    assert not (killed / 'epoch_3.pth').exists()
    out = run(train_args(killed, *DETERMINISTIC, resume=True), cwd=workspace)
    assert 'resumed epoch: 2' in out.stdout + out.stderr
    a = torch.load(straight / 'epoch_3.pth', map_location='cpu')['state_dict']
    b = torch.load(killed / 'epoch_3.pth', map_location='cpu')['state_dict']
    assert a.keys() == b.keys()
    differing = [k for k in a if not torch.equal(a[k], b[k])]
    assert not differing, differing[:5]


def test_full_disk_keeps_the_last_checkpoint_and_resume_continues(workspace):
    """The 2nd checkpoint write hits ENOSPC: the run stops naming the path and why,
    epoch 1 and the pointer stay valid, and --resume (here after the pointer was
    also truncated) continues from epoch 1."""
    work = workspace / 'full'
    config = workspace / 'full_disk.py'
    config.write_text(f"_base_ = {TINY_CONFIG!r}\n"
                      "custom_imports = dict(imports=['mmfpn', 'enospc_backend'])\n"
                      "default_hooks = dict(checkpoint=dict(backend_args=dict("
                      "backend='full_on_second_write')))\n")
    args = train_args(work, 'train_cfg.max_epochs=2', 'train_cfg.val_interval=2')
    out = run([args[0], str(config), *args[2:]], cwd=workspace, check=False,
              env={'PYTHONPATH': osp.dirname(osp.dirname(osp.abspath(__file__)))})
    assert out.returncode != 0
    assert f'cannot write {work / "epoch_2.pth"}: No space left on device' in out.stderr
    assert 'continue with tools/train.py CONFIG --resume' in out.stderr
    assert not (work / 'epoch_2.pth').exists() and not list(work.glob('.epoch_2.pth.*'))
    assert (work / 'last_checkpoint').read_text() == str(work / 'epoch_1.pth')
    assert torch.load(work / 'epoch_1.pth', map_location='cpu')['meta']['epoch'] == 1
    (work / 'last_checkpoint').write_text(str(work / 'epo'))  # a crash mid-pointer-write
    out = run(train_args(work, 'train_cfg.max_epochs=2', 'train_cfg.val_interval=2',
                         resume=True), cwd=workspace)
    log = out.stdout + out.stderr
    assert f'resuming from the newest complete checkpoint in {work}: {work / "epoch_1.pth"}' in log
    assert 'resumed epoch: 1' in log
    assert torch.load(work / 'epoch_2.pth', map_location='cpu')['meta']['epoch'] == 2


def test_an_image_broken_mid_run_names_file_epoch_iteration_and_keeps_the_checkpoint(workspace):
    """The data checks pass; then an image is overwritten after epoch 1. Epoch 2 stops
    with the file, the epoch and the iteration named, and epoch 1 intact."""
    work, data = workspace / 'broken_image', workspace / 'broken_data'
    shutil.copytree(workspace / 'data' / 'tiny', data / 'data' / 'tiny')
    image = data / 'data' / 'tiny' / 'train' / '00003.png'
    config = data / 'breaks.py'
    config.write_text(f"_base_ = {TINY_CONFIG!r}\n"
                      "custom_imports = dict(imports=['mmfpn', 'corrupt_image_hook'])\n"
                      f"custom_hooks = [dict(type='CorruptImageHook', path={str(image)!r})]\n")
    args = train_args(work, 'train_cfg.max_epochs=2', 'train_cfg.val_interval=2')
    out = run([args[0], str(config), *args[2:]], cwd=data, check=False,
              env={'PYTHONPATH': osp.dirname(osp.dirname(osp.abspath(__file__)))})
    assert out.returncode != 0
    stopped = out.stderr.split('TrainingStopped: ')[-1]
    assert stopped.startswith('training stopped in epoch 2, iteration ')
    assert 'failed to load image: data/tiny/train/00003.png' in stopped, stopped[-800:]
    assert f'The last checkpoint, {work / "epoch_1.pth"}, is complete' in stopped
    assert torch.load(work / 'epoch_1.pth', map_location='cpu')['meta']['epoch'] == 1
