"""Adopt: mmdet configs with the paper's components, checked against mmdet's model zoo."""
import copy
import functools
import json
import math
from collections import defaultdict

import pytest
import torch
from helpers import refusal, tool_main
from mmdet.registry import MODELS, TASK_UTILS
from mmdet_zoo import mmdet_zoo
from mmengine.config import Config
from mmengine.registry import init_default_scope
from stock_mmdet_forward import IMAGE_HW, fill_weights, fixed_inputs

from mmfpn.config.adopt import adopt_config, adopt_model
from mmfpn.config.registered import type_name
from mmfpn.config.stock import FROM_STOCK
from mmfpn.config.tree import map_dicts, walk_dicts
from mmfpn.deploy.mmdet_export import to_mmdet_config


@pytest.mark.parametrize('stock,reason', [
    (dict(type='FPN', in_channels=[8, 16], out_channels=8, num_outs=2, no_norm_on_lateral=True,
          norm_cfg=dict(type='BN')), 'no_norm_on_lateral=True'),
    (dict(type='AnchorGenerator', strides=[8, 16], ratios=[1.0], octave_base_scale=8,
          scales_per_octave=1, center_offset=0.5), 'center_offset=0.5'),
    (dict(type='AnchorGenerator', strides=[(8, 4)], ratios=[1.0], scales=[8]), 'non-square'),
    (dict(type='SingleRoIExtractor', out_channels=8, featmap_strides=[4, 8, 16, 32],
          roi_layer=dict(type='DeformRoIPoolPack', output_size=7, output_channels=8)),
     'roi_layer=DeformRoIPoolPack'),
    (dict(type='SingleRoIExtractor', out_channels=8, featmap_strides=[4, 12],
          roi_layer=dict(type='RoIAlign', output_size=7)), 'featmap_strides=\\[4, 12\\]'),
])
def test_adopt_leaves_what_the_paper_component_cannot_express_and_says_why(stock, reason):
    model, (decision,) = adopt_model(dict(type='X', part=stock))
    assert model['part'] == stock and decision.paper_type is None
    assert decision.path == 'model.part'
    with pytest.raises(Exception, match=reason):
        FROM_STOCK[stock['type']](stock)


def test_adopt_converts_the_arguments():
    model, decisions = adopt_model(dict(
        type='X',
        neck=dict(type='mmdet.FPN', in_channels=[8, 16], out_channels=8, num_outs=3),
        anchors=dict(type='AnchorGenerator', strides=[8, 16, 32], ratios=[0.5, 1.0, 2.0],
                     octave_base_scale=4, scales_per_octave=2),
        rois=dict(type='SingleRoIExtractor', out_channels=8, featmap_strides=[8, 16, 32],
                  finest_scale=28, roi_layer=dict(type='RoIAlign', output_size=7))))
    assert [d.paper_type for d in decisions] == ['PaperFPN', 'PaperAnchorGenerator',
                                                 'PaperRoIExtractor']
    assert model['neck']['init_cfg'] == dict(type='Xavier', layer='Conv2d',
                                             distribution='uniform')  # mmdet's, not Detectron's
    # base size = stride, sizes stride * 4 * 2^(i/2) with the octave scales in float32
    root2 = float(torch.tensor(4 * 2**0.5, dtype=torch.float32))
    assert model['anchors']['anchor_sizes'] == [[32, 8 * root2], [64, 16 * root2],
                                                [128, 32 * root2]]
    # finest_scale 28 at stride 8 (P3): Eq. (1)'s canonical scale 28 * 2^(4 - 3)
    assert model['rois']['canonical_scale'] == 56


def test_adopted_config_imports_mmfpn_and_a_child_config_switches_the_ablation(tmp_path, capsys):
    adopted = tmp_path / 'retinanet_paper.py'
    tool_main('adopt')(['mmdet::retinanet/retinanet_r50_fpn_1x_coco.py', '--out', str(adopted)])
    out = capsys.readouterr().out
    assert 'model.neck: FPN -> PaperFPN' in out
    assert '2 of 2 components adopted' in out
    child = tmp_path / 'retinanet_paper_no_lateral.py'
    child.write_text("_base_ = './retinanet_paper.py'\nmodel = dict(neck=dict(lateral=False))\n")
    cfg = Config.fromfile(str(child))
    assert cfg.custom_imports.imports == ['mmfpn']
    init_default_scope('mmdet')
    neck = MODELS.build(cfg.model.neck)
    assert type(neck).__name__ == 'PaperFPN' and not neck.lateral


def test_the_tool_names_a_config_mmdet_does_not_ship(tmp_path):
    message = refusal('adopt', ['mmdet::retinanet/retinanet_r50.py', '--out', tmp_path / 'x.py'])
    assert "mmdet has no config 'retinanet/retinanet_r50.py'" in message


def test_adopt_refuses_a_config_without_a_model():
    with pytest.raises(ValueError, match='has no model to adopt'):
        adopt_config(Config(dict(train_cfg=dict())))


# ---------------------------------------------------------------- mmdet's model zoo

@functools.lru_cache(maxsize=1)
def zoo_components():
    """``{(stock type, json of the dict): [config names]}`` over mmdet's configs."""
    groups = defaultdict(list)
    for name, cfg in mmdet_zoo()[0].items():
        for _, node in walk_dicts(cfg.get('model') or {}):
            kind = type_name(node.get('type'))
            if kind in FROM_STOCK:
                groups[kind, json.dumps(node, sort_keys=True)].append(name)
    return groups


@pytest.fixture
def zoo(mmdet_configs):
    """mmdet's configs and their distinct components; the configs that cannot be read
    here are listed in the run's summary (tests/conftest.py)."""
    return mmdet_configs, zoo_components()


def _odd_maps(channels, first_stride, strides=None):
    """Random maps as a backbone gives them for a 157x203 image: sizes ceil(H / s)."""
    strides = strides or [first_stride * 2**i for i in range(len(channels))]
    gen = torch.Generator().manual_seed(0)
    return [torch.randn(1, c, math.ceil(IMAGE_HW[0] / s), math.ceil(IMAGE_HW[1] / s),
                        generator=gen) for c, s in zip(channels, strides)]


def _rois(n=300):
    """RoIs from 2 to 900 px, a few exactly on Eq. (1)'s level boundaries."""
    gen = torch.Generator().manual_seed(1)
    size = 2 * 450 ** torch.rand(n, 2, generator=gen)
    size[:4] = torch.tensor([[112., 112.], [224., 224.], [56., 56.], [448., 448.]])
    xy = torch.rand(n, 2, generator=gen) * torch.tensor([IMAGE_HW[1], IMAGE_HW[0]])
    return torch.cat([torch.zeros(n, 1), xy, xy + size], 1)


@pytest.mark.slow
def test_every_zoo_component_adopts_to_the_same_module(zoo):
    """Each distinct component of mmdet's configs: adopted where exact, and then the
    same state_dict keys and the same outputs (necks, anchors exactly; RoI features
    to float tolerance) with the same weights on inputs of odd size."""
    _, groups = zoo
    init_default_scope('mmdet')
    kept, needs = defaultdict(list), defaultdict(int)
    for (kind, text), names in groups.items():
        stock_cfg = json.loads(text)
        paper_cfg, (decision,) = adopt_model(stock_cfg)
        if decision.paper_type is None:
            kept[kind].append((decision.reason, len(names)))
            continue
        builder = TASK_UTILS if kind == 'AnchorGenerator' else MODELS
        stock, paper = builder.build(stock_cfg), builder.build(paper_cfg)
        if kind == 'AnchorGenerator':
            sizes = [(math.ceil(IMAGE_HW[0] / s[0]), math.ceil(IMAGE_HW[1] / s[1]))
                     for s in stock.strides]
            for a, b in zip(stock.grid_priors(sizes, device='cpu'),
                            paper.grid_priors(sizes, device='cpu')):
                assert torch.equal(a, b), (text, names[0])
            continue
        paper.load_state_dict(stock.state_dict(), strict=True)  # the same keys
        stock.eval(), paper.eval()
        with torch.no_grad():
            if kind == 'FPN':
                channels = stock_cfg['in_channels']
                for a, b in zip(stock(_odd_maps(channels, 4)), paper(_odd_maps(channels, 4))):
                    assert torch.equal(a, b), (text, names[0])
            else:
                feats = _odd_maps([stock_cfg['out_channels']] * len(stock.featmap_strides),
                                  0, stock.featmap_strides)
                try:
                    a = stock(feats, _rois())
                except ModuleNotFoundError as err:  # RoIAlign(use_torchvision=True)
                    needs[str(err)] += len(names)
                    continue
                b = paper(feats, _rois())
                assert (a - b).abs().max() <= 1e-5 * a.abs().max(), (text, names[0])
    assert sum(needs.values()) <= 2, needs  # RoIAlign(use_torchvision=True): torchvision
    assert {k: len(v) for k, v in kept.items()} == {'AnchorGenerator': 3, 'FPN': 3,
                                                     'SingleRoIExtractor': 2}, kept


def one_octave_as_scales(node: dict) -> dict:
    """``octave_base_scale=b, scales_per_octave=1`` spelled ``scales=[b]``: the same
    generator, and the spelling export writes for one scale per level."""
    if node.get('scales_per_octave') == 1 and type_name(node.get('type')) == 'AnchorGenerator':
        base = node['octave_base_scale']
        node = {k: v for k, v in node.items() if k not in ('scales_per_octave',
                                                             'octave_base_scale')}
        node['scales'] = [base]
    return node


@pytest.mark.slow
def test_adopt_then_export_gives_back_every_zoo_model(zoo):
    configs, _ = zoo
    adopted = 0
    for name, cfg in configs.items():
        if 'model' not in cfg:
            continue
        model, decisions = adopt_model(cfg.model.to_dict())
        if not any(d.paper_type for d in decisions):
            continue
        adopted += 1
        back = to_mmdet_config(Config(dict(model=model))).model.to_dict()
        assert map_dicts(back, one_octave_as_scales) == map_dicts(
            cfg.model.to_dict(), one_octave_as_scales), name
    assert adopted > 500


DETECTORS = ('faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py', 'retinanet/retinanet_r50_fpn_1x_coco.py',
             'cascade_rcnn/cascade-rcnn_r50_fpn_1x_coco.py', 'mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py')


@pytest.mark.slow
@pytest.mark.parametrize('name', DETECTORS)
def test_adopted_zoo_detector_gives_the_stock_detections(name, zoo):
    configs, _ = zoo
    cfg = configs[name]
    adopted, decisions = adopt_config(cfg)
    assert all(d.paper_type for d in decisions) and decisions
    init_default_scope('mmdet')
    outputs = []
    for model_cfg in (copy.deepcopy(cfg.model), adopted.model):
        model = MODELS.build(model_cfg)
        fill_weights(model)
        model.eval()
        with torch.no_grad():
            outputs.append((set(model.state_dict()), model.test_step(fixed_inputs())[0]))
    (keys_a, a), (keys_b, b) = outputs
    assert keys_a == keys_b
    a, b = a.pred_instances, b.pred_instances
    assert len(a) > 0 and torch.equal(a.labels, b.labels)
    torch.testing.assert_close(a.bboxes, b.bboxes, rtol=1e-3, atol=1e-3)  # px
    torch.testing.assert_close(a.scores, b.scores, rtol=1e-3, atol=1e-4)
    if 'masks' in a:
        assert (a.masks != b.masks).float().mean() < 1e-3
