"""Export of every leaf config under configs/: a config that stock mmdet builds in a
process that never imports mmfpn and that computes what the original computes on the
same weights, or a refusal that names the mmfpn type."""
import json
import os.path as osp

import pytest
import torch
from helpers import LEAF_CONFIGS, ROOT, leaf_config, run
from mmdet.registry import MODELS
from mmengine.registry import init_default_scope
from stock_mmdet_forward import tensor_outputs

from mmfpn.config.registered import mmfpn_types
from mmfpn.config.stock import TO_STOCK
from mmfpn.config.tree import walk_dicts
from mmfpn.deploy.mmdet_export import (DROPPED, REFUSED, RENAMED, ExportError,
                                       to_mmdet_config)

STOCK_FORWARD = osp.join(ROOT, 'tests', 'stock_mmdet_forward.py')


def test_every_registered_type_has_an_export_rule():
    """A new registered component without a rule fails here, not in a user's hands."""
    rules = [*TO_STOCK, *RENAMED, *DROPPED, *REFUSED]
    assert len(rules) == len(set(rules))
    assert set(mmfpn_types()) == set(rules)


@pytest.fixture(scope='module')
def exports():
    """``{leaf config: (original, exported config) or the refusal message}``."""
    results = {}
    for path in LEAF_CONFIGS:
        original = leaf_config(path)
        try:
            results[path] = (original, to_mmdet_config(original))
        except ExportError as err:
            results[path] = str(err)
    return results


def test_every_leaf_config_exports_or_is_refused_by_type(exports):
    types = set(mmfpn_types())
    assert len(exports) == len(LEAF_CONFIGS) > 50
    for path, result in exports.items():
        if isinstance(result, str):
            assert any(f'{t}(' in result or f'uses {t},' in result for t in types), result
            continue
        stock = result[1].to_dict()
        assert 'custom_imports' not in stock, path
        left = {n['type'] for _, n in walk_dicts(stock) if n.get('type') in types}
        assert not left, (path, left)
    refused = [p for p, r in exports.items() if isinstance(r, str)]
    # The paper's ablations, grid-rounded RoIPool and Sec. 6 heads have no stock twin.
    assert any('seg-proposal' in p for p in refused)
    assert not any(p.endswith('faster-rcnn_r50_paper-fpn_1x_coco.py') for p in refused)


@pytest.mark.slow
def test_exported_configs_compute_the_same_without_mmfpn(exports, tmp_path):
    """One model per distinct exported model dict; stock mmdet in a subprocess."""
    distinct = {}
    for path, result in exports.items():
        if not isinstance(result, str):
            key = json.dumps(result[1].model.to_dict(), sort_keys=True)
            distinct.setdefault(key, (result[0], result[1], osp.basename(path)))
    originals, files = [], []
    for original, stock, name in distinct.values():
        files.append(str(tmp_path / name))  # written as tools/export_mmdet.py writes it
        stock.dump(files[-1])
        text = open(files[-1]).read()
        assert 'mmfpn' not in text and 'Paper' not in text, name
        originals.append(original)
    out = run([STOCK_FORWARD, str(tmp_path / 'stock.pth'), *files], cwd=tmp_path)
    assert 'mmfpn imported: False' in out.stdout
    stock = torch.load(tmp_path / 'stock.pth')
    init_default_scope('mmdet')
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the subprocess: oneDNN's blocking depends on it
    try:
        ours_all = [tensor_outputs(MODELS.build(original.model)) for original in originals]
    finally:
        torch.set_num_threads(threads)
    for i, (original, ours) in enumerate(zip(originals, ours_all)):
        theirs = [stock[f'{i}_{j}'] for j in range(len(ours))]
        assert f'{i}_{len(ours)}' not in stock and ours, files[i]
        pooled = 'roi_head' in original.model
        for a, b in zip(ours, theirs):
            assert a.shape == b.shape, files[i]
            if pooled and b.numel():  # mmfpn's RoI kernels against mmcv's: float tolerance
                assert (a - b).abs().max() <= 1e-5 * b.abs().max(), files[i]
            else:       # neck, anchors and RPN head: the same operations
                assert torch.equal(a, b), files[i]
