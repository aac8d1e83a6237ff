"""Mixed precision on CPU: bf16 autocast of the dense parts, fp32 elsewhere, any resume."""
import os.path as osp

import pytest
import torch
from helpers import ROOT, train
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmfpn.config.load import ConfigError
from mmfpn.engine.amp import MixedPrecisionOptimWrapper, use_mixed_precision
from mmfpn.precision import cpu_has_native_bf16

RPN_CONFIG = osp.join(ROOT, 'configs/tiny/rpn_r18_paper-fpn_tiny.py')
DET_CONFIG = osp.join(ROOT, 'configs/tiny/faster-rcnn_r18_paper-fpn_tiny.py')


def build(config):
    init_default_scope('mmdet')
    cfg = Config.fromfile(config).model
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model.train()


def batch(n=2, size=160, seed=0):
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(n):
        inputs.append(torch.randint(0, 256, (3, size, size), generator=gen, dtype=torch.uint8))
        xy = torch.rand(4, 2, generator=gen) * size * 0.6
        wh = torch.rand(4, 2, generator=gen) * size * 0.3 + 8
        s = DetDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size),
                                        scale_factor=(1.0, 1.0), pad_shape=(size, size)))
        s.gt_instances = InstanceData(bboxes=torch.cat([xy, xy + wh], 1),
                                      labels=torch.randint(0, 4, (4,), generator=gen))
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def gradients(model, wrapper, data):
    torch.manual_seed(1)  # the same anchor samples on both sides
    model.zero_grad()
    with wrapper.optim_context(model):
        losses = model(**model.data_preprocessor(data, True), mode='loss')
    loss, _ = model.parse_losses(losses)
    wrapper.backward(loss)
    return loss.item(), {n: p.grad.clone() for n, p in model.named_parameters()
                         if p.grad is not None}


def test_bf16_step_gradients_agree_with_fp32():
    """RPN step on a tiny batch: bf16 autocast (8-bit mantissa) gives the fp32 loss
    within 2% and every sizeable gradient with cosine similarity >= 0.98."""
    model = build(RPN_CONFIG)
    data = batch()
    sgd = lambda: torch.optim.SGD(model.parameters(), lr=0.0)  # noqa: E731
    loss32, g32 = gradients(model, OptimWrapper(sgd()), data)
    loss16, g16 = gradients(model, MixedPrecisionOptimWrapper(optimizer=sgd(),
                                                              cpu_bf16='always'), data)
    assert loss16 == pytest.approx(loss32, rel=0.02)
    assert g32.keys() == g16.keys()
    for name, g in g32.items():
        if g.norm() > 1e-3 * max(v.norm() for v in g32.values()):
            cos = torch.nn.functional.cosine_similarity(g.flatten(), g16[name].flatten(), 0)
            assert cos >= 0.98, (name, cos.item())
        assert g16[name].dtype == torch.float32  # fp32 master weights and gradients


def test_only_the_dense_parts_run_in_bf16():
    model = build(DET_CONFIG)
    seen = {}

    def record(name, tensor):
        seen.setdefault(name, tensor.dtype)  # returns None: the output is kept

    for name in ('backbone.conv1', 'rpn_head.rpn_cls', 'roi_head.bbox_head.fc_cls'):
        model.get_submodule(name).register_forward_hook(
            lambda m, i, o, name=name: record(name, o))
    model.roi_head.bbox_roi_extractor.register_forward_hook(
        lambda m, i, o: record('roi_extractor_in', i[0][0]))
    wrapper = MixedPrecisionOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.01), cpu_bf16='always')
    losses = model.train_step(batch(), wrapper)
    assert seen == {'backbone.conv1': torch.bfloat16, 'rpn_head.rpn_cls': torch.bfloat16,
                    'roi_head.bbox_head.fc_cls': torch.bfloat16,
                    'roi_extractor_in': torch.float32}
    assert all(torch.isfinite(v).all() for v in losses.values())
    assert not torch.is_autocast_enabled('cpu')  # nothing leaks out of the step


def test_auto_follows_the_cpu():
    params = [torch.nn.Parameter(torch.zeros(1))]
    wrapper = MixedPrecisionOptimWrapper(optimizer=torch.optim.SGD(params, lr=0.1))
    native = cpu_has_native_bf16()
    assert wrapper.cpu_dtype == (torch.bfloat16 if native else None)
    assert wrapper.precision == ('bfloat16' if native else 'float32')
    never = MixedPrecisionOptimWrapper(optimizer=torch.optim.SGD(params, lr=0.1),
                                       cpu_bf16='never')
    assert never.cpu_dtype is None and never.precision == 'float32'
    assert 'loss_scaler' not in wrapper.state_dict()


def test_bad_settings_name_the_fix():
    params = [torch.nn.Parameter(torch.zeros(1))]
    with pytest.raises(ValueError, match="dtype='bfloat16'"):
        MixedPrecisionOptimWrapper(optimizer=torch.optim.SGD(params, lr=0.1), dtype='float16')
    with pytest.raises(ValueError, match="cpu_bf16='sometimes'"):
        MixedPrecisionOptimWrapper(optimizer=torch.optim.SGD(params, lr=0.1),
                                   cpu_bf16='sometimes')
    cfg = Config(dict(optim_wrapper=dict(type='AmpOptimWrapper', optimizer=dict(type='SGD'))))
    use_mixed_precision(cfg, requested=False)  # mmengine's would assert a GPU here
    assert cfg.optim_wrapper.type == 'MixedPrecisionOptimWrapper'
    cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper', optimizer=dict(type='SGD'))))
    use_mixed_precision(cfg, requested=True)
    assert cfg.optim_wrapper.type == 'MixedPrecisionOptimWrapper'
    cfg = Config(dict(optim_wrapper=dict(type='MyWrapper', optimizer=dict(type='SGD'))))
    with pytest.raises(ConfigError, match="names 'MyWrapper'"):
        use_mixed_precision(cfg, requested=True)


@pytest.mark.slow
def test_amp_epoch_and_resume_across_precisions(workspace, trained_checkpoint):
    """One --amp epoch end to end (bf16 forced, as on a CPU that has it) resumed in
    fp32, and the fp32 fixture checkpoint resumed with --amp. Images are shrunk to
    96 px: without native bf16, oneDNN's emulated bf16 convolutions run ~14x slower
    than float32 here (why cpu_bf16='auto' trains such CPUs in float32)."""
    small = ['train_dataloader.dataset.pipeline.2.scale=(96,96)',  # Resize in each
             'val_dataloader.dataset.pipeline.1.scale=(96,96)']
    bf16 = ['optim_wrapper.cpu_bf16=always', *small]
    no_val = 'train_cfg.val_interval=100'
    work = workspace / 'amp_then_fp32'
    out = train(workspace, work, 1, '--amp', options=bf16)
    assert 'coco/bbox_mAP' in out.stdout + out.stderr
    assert torch.load(work / 'epoch_1.pth')['meta']['epoch'] == 1
    out = train(workspace, work, 2, '--resume', options=[no_val, *small])
    assert 'resumed epoch: 1' in out.stdout + out.stderr
    assert torch.load(work / 'epoch_2.pth')['meta']['iter'] == 8

    work = workspace / 'fp32_then_amp'
    out = train(workspace, work, 3, '--resume', trained_checkpoint, '--amp',
                options=[*bf16, no_val])
    assert 'resumed epoch: 2' in out.stdout + out.stderr
    assert torch.load(work / 'epoch_3.pth')['meta']['iter'] == 12
