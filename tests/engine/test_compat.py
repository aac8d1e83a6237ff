"""Safe loading of mmengine checkpoints on torch >= 2.6, and nothing more."""
import os
import pickle

import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import mmfpn  # noqa: F401  (installs the allowlist)
from mmfpn.engine.compat import history_buffer_method


class RunsCode:
    """Unpickling this calls os.system: a checkpoint crafted to execute code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}',)


class ReadsAttribute:
    def __reduce__(self):
        return getattr, (HistoryBuffer, '__init__')


def test_message_hub_round_trips_with_weights_only(tmp_path):
    hub = MessageHub.get_instance('mmfpn_compat_test')
    for i in range(3):
        hub.update_scalar('train/loss', 1.0 / (i + 1))
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(meta=dict(epoch=1), message_hub=hub.state_dict(),
                    state_dict={'w': torch.ones(2)}), path)
    loaded = torch.load(path, weights_only=True)
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.statistics('mean') == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)


def test_code_execution_on_unpickling_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': RunsCode(marker)}, path)
    with pytest.raises(pickle.UnpicklingError, match='system'):
        torch.load(path)
    assert not marker.exists()


def test_getattr_beyond_history_buffer_statistics_is_refused(tmp_path):
    path = tmp_path / 'attr.pth'
    torch.save({'x': ReadsAttribute()}, path)
    with pytest.raises(pickle.UnpicklingError, match="getattr.*'__init__'"):
        torch.load(path)
    assert history_buffer_method(HistoryBuffer, 'mean') is HistoryBuffer.mean
