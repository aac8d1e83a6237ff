"""Every leaf config loads, builds, and trains one step with a gradient everywhere;
resolves to the dict it is meant to; and carries no helper variable."""
import hashlib
import json
import os.path as osp

import pytest
import torch
from helpers import LEAF_CONFIGS, ROOT, leaf_config
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmfpn.config.load import innermost_dataset
from mmfpn.config.validate import check_model_config



def test_there_are_configs():
    assert any(p.endswith('faster-rcnn_r18_paper-fpn_tiny.py') for p in LEAF_CONFIGS)


#: Model dict (json) -> parameters that got no gradient in its one training step.
STEPPED = {}


def drop_pretrained(node):
    """Remove ``Pretrained`` inits: no weights can be downloaded in the tests."""
    if isinstance(node, dict):
        if isinstance(node.get('init_cfg'), dict) and node['init_cfg'].get('type') == 'Pretrained':
            node['init_cfg'] = None
        for value in node.values():
            drop_pretrained(value)
    elif isinstance(node, list):
        for value in node:
            drop_pretrained(value)


#: Fewer sampled RoIs and proposals than the configs' (512 / 2000): every module
#: still runs forward and backward, on less work.
SMALL_SAMPLING = {'model.train_cfg.rcnn.sampler.num': 32,
                  'model.train_cfg.rpn_proposal.nms_pre': 200,
                  'model.train_cfg.rpn_proposal.max_per_img': 64}


def _has(cfg: Config, dotted: str) -> bool:
    node = cfg
    for key in dotted.split('.'):
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def one_train_step(model: torch.nn.Module, cfg: Config, image_size=(64, 64)) -> None:
    """One image with three objects: every module runs forward and backward (the
    samplers add the ground truth as proposals, so every RoI branch has positives)."""
    torch.manual_seed(0)
    model.init_weights()
    model.train()
    num_classes = cfg.model.roi_head.bbox_head.num_classes if 'roi_head' in cfg.model else 2
    # mmdet's demo_mm_inputs draws labels from [1, num_classes): a one-class model
    # (the tree crowns) gets label 0 here.
    with_mask = any(t.get('with_mask') for t in
                    innermost_dataset(cfg.train_dataloader.dataset)['pipeline'])
    packed = demo_mm_inputs(1, [[3, *image_size]], num_items=[3],
                            num_classes=max(num_classes, 2), with_mask=with_mask)
    if num_classes == 1:
        for sample in packed['data_samples']:
            sample.gt_instances.labels.zero_()
    if cfg.model.type == 'FastRCNN':  # trained on fixed proposals
        gen = torch.Generator().manual_seed(0)
        for sample in packed['data_samples']:
            xy = torch.rand(64, 2, generator=gen) * torch.tensor(image_size[::-1]) * 0.7
            wh = torch.rand(64, 2, generator=gen) * image_size[0] / 2 + 4
            sample.proposals = InstanceData(bboxes=torch.cat([xy, xy + wh], 1),
                                            scores=torch.rand(64, generator=gen))
    data = model.data_preprocessor(packed, True)
    losses = model(**data, mode='loss')
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    total.backward()


@pytest.mark.parametrize('path', LEAF_CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_config_passes_the_tools_checks_and_every_parameter_gets_a_gradient(path):
    """What tools/train.py and `mim train mmfpn` do before reading data passes, and the
    model it built trains one step with a gradient on every parameter (one build)."""
    cfg = leaf_config(path)
    assert cfg.default_scope == 'mmdet'
    assert 'mmfpn' in cfg.custom_imports['imports']
    drop_pretrained(cfg.model)
    cfg.merge_from_dict({k: v for k, v in SMALL_SAMPLING.items()
                         if _has(cfg, k.rsplit('.', 1)[0])})
    model = check_model_config(cfg)
    key = json.dumps(cfg.model.to_dict(), sort_keys=True, default=str)
    if key not in STEPPED:  # configs that differ only outside the model share one step
        one_train_step(model, cfg)
        STEPPED[key] = [n for n, p in model.named_parameters()
                        if p.requires_grad and p.grad is None]
    assert not STEPPED[key], f'parameters without gradient: {STEPPED[key][:10]}'


#: The top-level names of a resolved config: mmdet's own bases' and conventions
#: (``metainfo``, ``max_epochs``, ``randomness``, ...). A helper variable of a config
#: file (``d = 64``) would land in the resolved config, in every checkpoint's meta
#: and in mmdet exports: write the value, or read it from the dict being built.
CONFIG_NAMES = {
    'auto_scale_lr', 'backend_args', 'custom_hooks', 'custom_imports', 'data_root',
    'dataset_type', 'default_hooks', 'default_scope', 'env_cfg', 'load_from', 'log_level',
    'log_processor', 'max_epochs', 'max_iters', 'metainfo', 'model', 'optim_wrapper',
    'param_scheduler', 'randomness', 'resume', 'test_cfg', 'test_dataloader',
    'test_evaluator', 'test_pipeline', 'train_cfg', 'train_dataloader', 'train_pipeline',
    'val_cfg', 'val_dataloader', 'val_evaluator', 'vis_backends', 'visualizer'}
#: The own-data template's knobs, named so that a user edits one place.
TEMPLATE_NAMES = {'classes', 'image_scale', 'train_ann', 'train_images', 'val_ann', 'val_images'}
#: Leaf config -> sha256 of its resolved dict (sorted-key JSON).
RESOLVED = osp.join(osp.dirname(__file__), 'resolved_configs.json')


def resolved_digest(cfg: Config) -> str:
    text = json.dumps(cfg.to_dict(), sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize('path', LEAF_CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_a_leaf_config_carries_no_helper_variable(path):
    allowed = CONFIG_NAMES | (TEMPLATE_NAMES if '/own_data/' in path else set())
    assert set(leaf_config(path)) - allowed == set()


def test_every_leaf_config_resolves_to_its_recorded_dict():
    """Moving settings between bases must not change what a leaf resolves to. A change
    meant to alter a config records the new digest that this test prints."""
    with open(RESOLVED) as f:
        recorded = json.load(f)
    found = {osp.relpath(p, ROOT): resolved_digest(leaf_config(p)) for p in LEAF_CONFIGS}
    changed = {p: d for p, d in found.items() if recorded.get(p) != d}
    assert not changed, f'resolved configs differ from {RESOLVED}: {changed}'
    assert set(recorded) == set(found)


def test_no_other_config_file_shares_a_leaf_configs_name():
    """``mim train mmfpn NAME.py`` finds a config by its file name, bases included, and
    refuses a name that two files carry."""
    import collections
    import glob
    names = collections.Counter(osp.basename(p) for p in glob.glob(
        osp.join(ROOT, 'configs', '**', '*.py'), recursive=True))
    assert [p for p in LEAF_CONFIGS if names[osp.basename(p)] > 1] == []


def test_paper_faster_rcnn_uses_the_three_components():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/tiny/faster-rcnn_r18_paper-fpn_tiny.py'))
    assert cfg.model.neck.type == 'PaperFPN'
    assert cfg.model.rpn_head.anchor_generator.type == 'PaperAnchorGenerator'
    assert cfg.model.roi_head.bbox_roi_extractor.type == 'PaperRoIExtractor'


def test_tiny_config_metainfo_matches_the_generator():
    from mmfpn.datasets.tiny import METAINFO
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/datasets/tiny.py'))
    assert tuple(cfg.metainfo['classes']) == METAINFO['classes']
    assert [tuple(c) for c in cfg.metainfo['palette']] == [tuple(c) for c in METAINFO['palette']]


def flatten(node, prefix=''):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            out.update(flatten(value, f'{prefix}{key}.'))
        return out
    return {prefix[:-1]: node}


P2_NECK = {'model.neck.finest_only', 'model.neck.num_outs'}
P2_ANCHORS = {'model.rpn_head.anchor_generator.anchor_sizes',
              'model.rpn_head.anchor_generator.strides'}
P2_RPN = P2_NECK | P2_ANCHORS | {'model.test_cfg.rpn.nms_pre'}  # single map: 12000
C5_RPN = {'model.backbone.num_stages', 'model.backbone.strides', 'model.backbone.dilations',
          'model.backbone.out_indices', 'model.rpn_head.in_channels',
          'model.rpn_head.feat_channels', 'model.rpn_head.anchor_generator.strides'}
ABLATIONS = [
    ('rpn/rpn_r50_paper-fpn-bottom-up_40k_coco.py', 'rpn/rpn_r50_paper-fpn_40k_coco.py',
     {'model.neck.top_down'}),
    ('rpn/rpn_r50_paper-fpn-no-lateral_40k_coco.py', 'rpn/rpn_r50_paper-fpn_40k_coco.py',
     {'model.neck.lateral'}),
    ('rpn/rpn_r50_paper-fpn-p2_40k_coco.py', 'rpn/rpn_r50_paper-fpn_40k_coco.py',
     P2_RPN),
    ('rpn/rpn_r50-c5_40k_coco.py', 'rpn/rpn_r50-c4_40k_coco.py', C5_RPN),
    ('fast-rcnn/fast-rcnn_r50_paper-fpn-bottom-up_80k_coco.py',
     'fast-rcnn/fast-rcnn_r50_paper-fpn_80k_coco.py', {'model.neck.top_down'}),
    ('fast-rcnn/fast-rcnn_r50_paper-fpn-no-lateral_80k_coco.py',
     'fast-rcnn/fast-rcnn_r50_paper-fpn_80k_coco.py', {'model.neck.lateral'}),
    ('fast-rcnn/fast-rcnn_r50_paper-fpn-p2_80k_coco.py',
     'fast-rcnn/fast-rcnn_r50_paper-fpn_80k_coco.py',
     P2_NECK | {'model.roi_head.bbox_roi_extractor.featmap_strides'}),
    ('faster-rcnn/faster-rcnn-unshared_r50-c4_80k_coco.py', 'fast-rcnn/fast-rcnn_r50-c4_80k_coco.py',
     {'train_dataloader.dataset.proposal_file', 'val_dataloader.dataset.proposal_file',
      'test_dataloader.dataset.proposal_file'}),
    ('tiny/rpn_r18_paper-fpn-bottom-up_tiny.py', 'tiny/rpn_r18_paper-fpn_tiny.py',
     {'model.neck.top_down'}),
    ('tiny/rpn_r18_paper-fpn-no-lateral_tiny.py', 'tiny/rpn_r18_paper-fpn_tiny.py',
     {'model.neck.lateral'}),
    ('tiny/rpn_r18_paper-fpn-p2_tiny.py', 'tiny/rpn_r18_paper-fpn_tiny.py',
     P2_RPN),
    ('tiny/rpn_r18-c5_tiny.py', 'tiny/rpn_r18-c4_tiny.py', C5_RPN),
    ('tiny/fast-rcnn_r18_paper-fpn-bottom-up_tiny.py', 'tiny/fast-rcnn_r18_paper-fpn_tiny.py',
     {'model.neck.top_down'}),
    ('tiny/fast-rcnn_r18_paper-fpn-no-lateral_tiny.py', 'tiny/fast-rcnn_r18_paper-fpn_tiny.py',
     {'model.neck.lateral'}),
    ('tiny/fast-rcnn_r18_paper-fpn-p2_tiny.py', 'tiny/fast-rcnn_r18_paper-fpn_tiny.py',
     P2_NECK | {'model.roi_head.bbox_roi_extractor.featmap_strides'}),
    ('faster-rcnn/faster-rcnn_r101_paper-fpn_80k_coco.py',
     'faster-rcnn/faster-rcnn_r50_paper-fpn_80k_coco.py',
     {'model.backbone.depth', 'model.backbone.init_cfg.checkpoint'}),
]


@pytest.mark.parametrize('child,parent,expected', ABLATIONS, ids=[a[0] for a in ABLATIONS])
def test_ablation_child_changes_only_what_it_means_to(child, parent, expected):
    a = flatten(Config.fromfile(osp.join(ROOT, 'configs', child)).to_dict())
    b = flatten(Config.fromfile(osp.join(ROOT, 'configs', parent)).to_dict())
    changed = {k for k in a.keys() | b.keys() if a.get(k, '<absent>') != b.get(k, '<absent>')}
    assert changed == expected
