"""Shared fixtures: a small generated tiny dataset and a briefly trained model."""
import os.path as osp

import pytest
from helpers import FAST, ROOT, TINY_CONFIG, run, train

from mmfpn.datasets.tiny import TinySpec, generate


@pytest.fixture(scope='session')
def workspace(tmp_path_factory):
    """A directory holding ``data/tiny`` with 8 train and 4 val images."""
    root = tmp_path_factory.mktemp('e2e')
    generate(str(root / 'data' / 'tiny'), TinySpec(num_train=8, num_val=4))
    return root


@pytest.fixture(scope='session')
def trained_run(workspace):
    """The tiny model trained for 1 epoch, then resumed with ``--resume`` to 2 epochs
    (8 iterations): ``(work dir, log of the first run, log of the resumed run)``."""
    work = workspace / 'trained'
    first = train(workspace, work, 1)
    resumed = train(workspace, work, 2, '--resume')
    return work, first.stdout + first.stderr, resumed.stdout + resumed.stderr


@pytest.fixture(scope='session')
def trained_checkpoint(trained_run):
    """The checkpoint of :func:`trained_run` after 2 epochs, shared by every test
    that needs a trained model (export, fast path, OpenVINO, TTA, reliability)."""
    return str(trained_run[0] / 'epoch_2.pth')


@pytest.fixture(scope='session')
def tools_test(workspace, trained_checkpoint):
    """``tools/test.py`` on :func:`trained_checkpoint` with extra flags, run once per
    set of flags in the session: ``evaluate(*flags) -> (bbox mAP, log)``."""
    done = {}

    def evaluate(*flags: str):
        if flags not in done:
            out = run([osp.join(ROOT, 'tools/test.py'), TINY_CONFIG, trained_checkpoint, *flags,
                       '--work-dir', str(workspace / 'tools_test'), '--cfg-options', *FAST],
                      cwd=workspace)
            log = out.stdout + out.stderr
            done[flags] = float(log.split('coco/bbox_mAP: ')[1].split()[0]), log
        return done[flags]
    return evaluate


def pytest_terminal_summary(terminalreporter):
    """Say which of mmdet's configs the zoo tests could not read, when they ran."""
    from mmdet_zoo import mmdet_zoo
    if mmdet_zoo.cache_info().currsize:
        configs, skipped = mmdet_zoo()
        terminalreporter.write_line(
            f'mmdet configs checked: {len(configs)} read, {len(skipped)} skipped (they need '
            'packages mmfpn does not install, or bases mmdet does not ship):')
        for name, why in skipped.items():
            terminalreporter.write_line(f'  {name}: {why}')
