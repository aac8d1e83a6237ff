"""The work dir: --resume takes the newest complete checkpoint when the pointer is
broken, and a second run on the same dir is refused."""
import os

import pytest
import torch
from helpers import TINY_CONFIG, refusal

from mmfpn.config.load import ConfigError
from mmfpn.engine.work_dir import (is_complete_checkpoint, last_checkpoint, resume_checkpoint,
                                   work_dir_lock)


@pytest.fixture()
def work(tmp_path):
    """epoch_1..3 checkpoints; epoch_3 truncated as by a crash mid-write."""
    for epoch in (1, 2, 3):
        torch.save({'meta': {'epoch': epoch}}, tmp_path / f'epoch_{epoch}.pth')
    data = (tmp_path / 'epoch_3.pth').read_bytes()
    (tmp_path / 'epoch_3.pth').write_bytes(data[:len(data) // 2])
    return tmp_path


def test_a_truncated_checkpoint_is_not_complete(work):
    assert is_complete_checkpoint(str(work / 'epoch_2.pth'))
    assert not is_complete_checkpoint(str(work / 'epoch_3.pth'))
    assert not is_complete_checkpoint(str(work / 'missing.pth'))


@pytest.mark.parametrize('pointer,expected', [
    ('epoch_1.pth', 'epoch_1.pth'),     # a valid pointer is followed, even to an older file
    ('epoch_3.pth', 'epoch_2.pth'),     # names a truncated checkpoint
    ('gone.pth', 'epoch_2.pth'),        # names a deleted one
    ('epoch_', 'epoch_2.pth'),          # the pointer itself truncated
    (None, 'epoch_2.pth'),              # no pointer
])
def test_resume_takes_the_newest_complete_checkpoint(work, pointer, expected):
    if pointer is not None:
        (work / 'last_checkpoint').write_text(str(work / pointer))
    assert resume_checkpoint(str(work)) == str(work / expected)


@pytest.mark.parametrize('pointer', ['epoch_3.pth', 'gone.pth', None])
def test_a_finished_run_is_read_back_only_through_a_pointer_to_a_complete_checkpoint(
        work, pointer):
    (work / 'last_checkpoint').write_text(str(work / 'epoch_2.pth'))
    assert last_checkpoint(str(work)) == str(work / 'epoch_2.pth')
    if pointer is None:
        os.remove(work / 'last_checkpoint')
    else:
        (work / 'last_checkpoint').write_text(str(work / pointer))
    with pytest.raises(FileNotFoundError, match=f'{work} holds no finished run'):
        last_checkpoint(str(work))


def test_resume_without_any_complete_checkpoint_starts_afresh(tmp_path):
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    assert resume_checkpoint(str(tmp_path)) is None


def test_resume_from_a_named_truncated_checkpoint_is_refused(work, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    message = refusal('train', [TINY_CONFIG, '--work-dir', work, '--resume', work / 'epoch_3.pth'])
    assert f"--resume '{work / 'epoch_3.pth'}': no such file or not a complete checkpoint" in message


def test_a_second_run_on_the_same_work_dir_is_refused(tmp_path):
    with work_dir_lock(str(tmp_path)):
        with pytest.raises(ConfigError, match=rf'another training run \(pid {os.getpid()}\) is '
                                              rf"using the work dir '{tmp_path}'"):
            with work_dir_lock(str(tmp_path)):
                pass
    with work_dir_lock(str(tmp_path)):  # released when the first run ends
        pass


def test_the_pointer_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    """A failure while the pointer is published leaves the previous pointer, which
    names a complete checkpoint; mmengine's own hook would leave the new path."""
    from mmengine.fileio import get_file_backend
    from mmengine.logging import MessageHub

    from mmfpn.engine.hooks import AtomicCheckpointHook

    class Runner:
        work_dir = str(tmp_path)
        message_hub = MessageHub.get_instance('pointer-test')

        def save_checkpoint(self, out_dir, filename, *args, **kwargs):
            torch.save({'step': filename}, os.path.join(out_dir, filename))

    hook = AtomicCheckpointHook(interval=1, backend_args=dict(backend='atomic_local'))
    hook.out_dir = str(tmp_path)
    hook.file_backend = get_file_backend(str(tmp_path), backend_args=hook.backend_args)
    hook._save_checkpoint_with_step(Runner(), 1, {})
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'epoch_1.pth')

    def crash(*args, **kwargs):
        raise OSError('killed while publishing the pointer')
    monkeypatch.setattr(hook.file_backend, 'put_text', crash)
    with pytest.raises(OSError, match='killed'):
        hook._save_checkpoint_with_step(Runner(), 2, {})
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'epoch_1.pth')
    assert resume_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_1.pth')


@pytest.mark.slow  # reads the shared end-to-end training run
def test_a_training_run_publishes_the_pointer(trained_run):
    work = trained_run[0]
    assert (work / 'last_checkpoint').read_text() == str(work / 'epoch_2.pth')
    assert not (work / '.mmfpn-staging' / 'last_checkpoint').exists()
