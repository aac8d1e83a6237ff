"""Shared fixtures: a small generated tiny dataset, a briefly trained model and
mmdet's own configs; how the suite is split over ``pytest -n`` workers."""
import logging
import os
import os.path as osp

import pytest
import torch
from helpers import FAST, ROOT, TINY_CONFIG, run, train
from mmengine.logging import MMLogger

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


@pytest.fixture(scope='session')
def exported_irs(workspace, trained_checkpoint):
    """``tools/export_openvino.py --int8 --calib 4`` of :func:`trained_checkpoint`, once:
    ``(f32 IR, INT8 IR, stdout)``."""
    out_dir = workspace / 'openvino'
    out = run([osp.join(ROOT, 'tools/export_openvino.py'), TINY_CONFIG, trained_checkpoint,
               str(out_dir), '--int8', '--calib', '4'], cwd=workspace)
    name = 'faster-rcnn_r18_paper-fpn_tiny_dense'
    return out_dir / f'{name}.xml', out_dir / f'{name}_int8.xml', out.stdout


@pytest.fixture
def log_messages(request):
    """The messages mmengine's current logger receives during the test (a list)."""
    messages = []

    class Records(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    MMLogger.get_instance(f'mmfpn_test_{request.node.name}')
    logger = MMLogger.get_current_instance()
    handler = Records()
    logger.addHandler(handler)
    yield messages
    logger.removeHandler(handler)


#: Session fixtures that cost seconds to minutes: the tests using one run on one
#: ``pytest -n`` worker (``--dist loadgroup``), so each is built once per run.
SHARED_FIXTURES = {'trained_run': 'trained', 'trained_checkpoint': 'trained',
                   'tools_test': 'trained', 'exported_irs': 'trained',
                   'mmdet_configs': 'mmdet_zoo'}


def pytest_configure(config):
    """Under ``pytest -n N`` each worker computes with ``cores / N`` threads (the tools'
    subprocesses already run with one): the workers do not oversubscribe the cores."""
    workers = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '0'))
    if workers > 1:
        torch.set_num_threads(max(1, len(os.sched_getaffinity(0)) // workers))


def pytest_collection_modifyitems(items):
    for item in items:
        groups = {SHARED_FIXTURES[name] for name in getattr(item, 'fixturenames', ())
                  if name in SHARED_FIXTURES}
        if groups:
            item.add_marker(pytest.mark.xdist_group(min(groups)))


@pytest.fixture
def mmdet_configs(record_property):
    """``{relative path: config}`` of mmdet's own leaf configs (read once per worker);
    the ones that cannot be read here travel with the test's report to the summary."""
    from mmdet_zoo import mmdet_zoo
    configs, skipped = mmdet_zoo()
    record_property('mmdet_zoo', (len(configs), skipped))
    return configs


def pytest_terminal_summary(terminalreporter):
    """Say which of mmdet's configs the zoo tests could not read, when they ran."""
    for report in terminalreporter.stats.get('passed', []):
        zoo = dict(report.user_properties).get('mmdet_zoo')
        if zoo is not None:
            break
    else:
        return
    read, skipped = zoo
    terminalreporter.write_line(
        f'mmdet configs checked: {read} read, {len(skipped)} skipped (they need packages '
        'mmfpn does not install, or bases mmdet does not ship):')
    for name, why in skipped.items():
        terminalreporter.write_line(f'  {name}: {why}')
