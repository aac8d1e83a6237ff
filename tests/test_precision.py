"""Which precision runs where: the demo's choice, and submodule autocast."""
import sys

import pytest
import torch

from mmfpn import precision
from mmfpn.apis import demo
from mmfpn.config.load import mim_path
from mmfpn.precision import (DENSE_MODULES, Precision, autocast_submodules, choose_precision,
                             register_autocast)


@pytest.fixture()
def cpu(monkeypatch):
    """Pretend to be a CPU-only machine with or without native bf16."""
    def set_native(native: bool):
        monkeypatch.setattr(precision, 'accelerator_available', lambda: False)
        monkeypatch.setattr(precision, 'cpu_has_native_bf16', lambda: native)
    return set_native


@pytest.mark.parametrize('native,requested,mode,emulated', [
    (True, 'auto', 'amp', False),
    (False, 'auto', 'fp32', False),
    (True, 'fp32', 'fp32', False),
    (False, 'amp', 'amp', True),
    (True, 'amp', 'amp', False),
])
def test_auto_is_amp_exactly_where_bf16_is_native(cpu, native, requested, mode, emulated):
    cpu(native)
    chosen = choose_precision(requested)
    assert (chosen.mode, chosen.emulated) == (mode, emulated)
    cpu_kind = 'this CPU has native bf16' if native else 'this CPU has no native bf16'
    assert cpu_kind in chosen.reason


def test_an_unknown_precision_names_the_choices():
    with pytest.raises(ValueError, match=r"precision 'bf16': choose one of \('auto', 'fp32', 'amp'\)"):
        choose_precision('bf16')


def test_demo_command_per_precision():
    train = [sys.executable, mim_path('tools', 'train.py'), 'c.py', '--work-dir', 'w']
    assert demo.demo_train_command('c.py', 'w', Precision('fp32', '')) == train
    assert demo.demo_train_command('c.py', 'w', Precision('amp', ''), ['a=1']) == [
        *train, '--amp', '--cfg-options', 'a=1']
    assert demo.demo_train_command('c.py', 'w', Precision('amp', '', emulated=True)) == [
        *train, '--amp', '--cfg-options', 'optim_wrapper.cpu_bf16=always']


def test_demo_says_its_precision_before_any_work(cpu, monkeypatch, capsys):
    cpu(True)

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(demo, 'ensure_tiny', stop)
    with pytest.raises(KeyboardInterrupt):
        demo.run_demo()
    first = capsys.readouterr().out.splitlines()[0]
    assert first == ('demo: precision amp: mixed precision because this CPU has native bf16 '
                     '(AVX512-BF16 or AMX); PRECISION=fp32 forces float32')


def test_submodules_run_in_bf16_and_hand_float32_on():
    model = torch.nn.Sequential()
    model.add_module('backbone', torch.nn.Linear(4, 4))
    model.add_module('head', torch.nn.Linear(4, 4))
    seen = {}
    model.backbone.register_forward_hook(lambda m, a, out: seen.update(backbone=out.dtype))
    model.head.register_forward_hook(lambda m, a, out: seen.update(head=out.dtype))
    handles = register_autocast(model, ['backbone', 'roi_head.bbox_head'])  # a missing name is skipped
    out = model(torch.ones(2, 4))
    assert seen == dict(backbone=torch.bfloat16, head=torch.float32)
    assert out.dtype == torch.float32
    for handle in handles:
        handle.remove()
    model(torch.ones(2, 4))
    assert seen['backbone'] == torch.float32


def test_autocast_context_is_left_when_a_forward_raises():
    model = torch.nn.Sequential()
    model.add_module('backbone', torch.nn.Linear(2, 2))
    with pytest.raises(RuntimeError):
        with autocast_submodules(model, DENSE_MODULES):
            model.backbone(torch.zeros(3, 5))  # shape error inside autocast
    assert not torch.is_autocast_enabled('cpu')
    assert not model.backbone._forward_hooks and not model.backbone._forward_pre_hooks
