"""Large images end to end: ``tools/test.py --slice`` and ``tools/infer.py --slice`` on
the briefly trained tiny model."""
import json
import os.path as osp

import pytest
from helpers import ROOT, TINY_CONFIG, run

from mmfpn.datasets.tiling import make_mosaics

pytestmark = pytest.mark.slow


def test_sliced_evaluation_of_one_window_images_is_the_plain_evaluation(tools_test):
    """The tiny images are 320 px: a 320 px window is the whole image through the same
    transforms, so sliced evaluation must give the plain evaluation's AP (up to float
    rounding of a batch of one against the loader's batch)."""
    plain, _ = tools_test('--fast')
    sliced, log = tools_test('--fast', '--slice', '320')
    assert abs(sliced - plain) <= 1e-3
    assert 'COCO maxDets (100, 300, 1000) (DenseCocoMetric)' in log and 'coco/bbox_AR@1000:' in log


def test_infer_slices_a_mosaic_and_writes_what_infer_writes(workspace, trained_checkpoint):
    tiny = workspace / 'data' / 'tiny'
    make_mosaics(str(tiny / 'annotations' / 'instances_val.json'), str(tiny / 'val'),
                 str(workspace / 'mosaic'), 'val', grid=2)
    image = str(workspace / 'mosaic' / 'val' / 'mosaic_0.png')
    out = run([osp.join(ROOT, 'tools/infer.py'), TINY_CONFIG, trained_checkpoint, image,
               '--out-dir', str(workspace / 'sliced'), '--score-thr', '0', '--slice', '320',
               '--overlap', '0.25', '--fast', '--max-dets', '50'], cwd=workspace)
    assert f'{image}: 50 detections with score >= 0' in out.stdout
    pred = json.loads((workspace / 'sliced' / 'preds' / 'mosaic_0.json').read_text())
    assert len(pred['bboxes']) == 50 and pred['scores'] == sorted(pred['scores'], reverse=True)
    assert min(min(b) for b in pred['bboxes']) >= 0 and max(max(b) for b in pred['bboxes']) <= 640
    assert (workspace / 'sliced' / 'vis' / 'mosaic_0.png').is_file()
    # 640 px with 320 px windows overlapping by 80: 3 x 3 windows, one progress bar.
    assert '9/9' in out.stdout + out.stderr
