"""Every refusal of the tools' flags and inputs, in-process through ``main(argv)``:
one ``error: ...`` line that names the bad value and the fix, before any work."""
import os

import pytest
from helpers import TINY_CONFIG, refusal

from mmfpn.datasets.tiny import TinySpec, generate
from mmfpn.engine.work_dir import work_dir_lock


@pytest.fixture(scope='module')
def tiny_cwd(tmp_path_factory):
    """A directory holding a 4+2 image ``data/tiny``; the configs' relative
    ``data_root`` resolves there."""
    root = tmp_path_factory.mktemp('refusals')
    generate(str(root / 'data' / 'tiny'), TinySpec(num_train=4, num_val=2))
    return root


@pytest.fixture()
def in_tiny(tiny_cwd, monkeypatch):
    monkeypatch.chdir(tiny_cwd)
    return tiny_cwd


def test_missing_config_suggests_close_names(in_tiny):
    message = refusal('train', ['configs/tiny/no-such-config.py'])
    assert "config file 'configs/tiny/no-such-config.py' does not exist" in message


def test_config_without_mmfpn_import(in_tiny):
    no_import = in_tiny / 'no_import.py'
    no_import.write_text(f"_base_ = '{TINY_CONFIG}'\ncustom_imports = dict(imports=[])\n")
    assert 'does not import mmfpn' in refusal('train', [no_import])


def test_class_name_not_in_the_annotation_file(in_tiny):
    message = refusal('train', [TINY_CONFIG, '--cfg-options',
                                "train_dataloader.dataset.metainfo.classes=['circle','Square']"])
    assert "class names ['Square']" in message and 'spelling and case matter' in message


def test_auto_scale_lr_needs_a_base_batch_size(in_tiny):
    message = refusal('train', [TINY_CONFIG, '--auto-scale-lr', '--cfg-options',
                                'auto_scale_lr=None'])
    assert '--auto-scale-lr needs auto_scale_lr.base_batch_size' in message


def test_a_second_training_on_one_work_dir_is_refused(in_tiny):
    work = in_tiny / 'busy'
    with work_dir_lock(str(work)):  # a first run holds the work dir
        message = refusal('train', [TINY_CONFIG, '--work-dir', work])
    assert f"another training run (pid {os.getpid()}) is using the work dir '{work}'" in message
    assert 'give this run its own --work-dir' in message
    assert sorted(p.name for p in work.iterdir()) == ['.mmfpn-train.lock']  # nothing written


@pytest.mark.parametrize('flags,message', [
    (['--bf16'], '--bf16 is an option of the fast path: add --fast'),
    (['--backend', 'openvino'], '--backend openvino is an option of the fast path: add --fast'),
    (['--fast', '--ir', 'x.xml'], '--ir is an OpenVINO IR: add --fast --backend openvino'),
    (['--fast', '--backend', 'openvino', '--ir', 'nowhere.xml'], "--ir 'nowhere.xml' does not exist"),
    (['--tta', '--fast'], '--tta and --fast cannot be combined'),
    (['--out', 'results.json'], "--out must be a .pkl file, got 'results.json'"),
    (['--tta', '--slice', '320'], '--tta and --slice cannot be combined'),
    (['--slice', '0'], 'slice size must be a positive number of pixels, got 0'),
    (['--slice', '320', '--overlap', '1'], 'overlap must be a fraction of a window in [0, 1)'),
    (['--slice', '320', '--max-dets', '0'], 'max_per_img must be >= 1, got 0'),
])
def test_test_flags_that_cannot_work(in_tiny, flags, message):
    # The config file stands in for a checkpoint: flags are refused before loading it.
    assert message in refusal('test', [TINY_CONFIG, TINY_CONFIG, *flags])


def test_a_negative_worker_count_is_refused(in_tiny):
    message = refusal('train', [TINY_CONFIG, '--workers', '-1'])
    assert '--workers -1: give 0 (load in the main process) or more' in message


def test_missing_checkpoint_is_named(in_tiny):
    assert "checkpoint 'nope.pth' does not exist" in refusal('test', [TINY_CONFIG, 'nope.pth'])


def test_dump_proposals_needs_an_rpn_config(in_tiny):
    message = refusal('dump_proposals', [TINY_CONFIG, TINY_CONFIG, '--split', 'val'])
    assert 'is a FasterRCNN, not an RPN config' in message


def test_infer_names_a_missing_image(in_tiny):
    assert "'missing.png' does not exist" in refusal(
        'infer', [TINY_CONFIG, TINY_CONFIG, 'missing.png'])


def test_infer_names_an_unreadable_image_and_bad_slicing_before_loading(in_tiny):
    (in_tiny / 'notes.png').write_text('not an image')
    assert "'notes.png' is not an image OpenCV can read" in refusal(
        'infer', [TINY_CONFIG, TINY_CONFIG, 'notes.png'])
    image = 'data/tiny/val/' + sorted(os.listdir(in_tiny / 'data/tiny/val'))[0]
    assert 'overlap must be a fraction of a window in [0, 1), got 1.5' in refusal(
        'infer', [TINY_CONFIG, TINY_CONFIG, image, '--slice', '400', '--overlap', '1.5'])


def test_scale_analysis_of_a_config_without_anchors(in_tiny):
    from helpers import ROOT
    message = refusal('analyze_scales', [f'{ROOT}/configs/tiny/fast-rcnn_r18_paper-fpn_tiny.py'])
    assert 'has no anchors (model.rpn_head.anchor_generator)' in message
    assert 'configs/tiny/faster-rcnn_r18_paper-fpn_tiny.py' in message
