"""The model index (what `mim search mmfpn` reads) names real configs and collections.
(Its metrics are checked against docs/results.json in tests/analysis/test_results.py.)"""
import os.path as osp

import yaml
from helpers import ROOT


def models():
    with open(osp.join(ROOT, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    for metafile in index['Import']:
        with open(osp.join(ROOT, metafile)) as f:
            meta = yaml.safe_load(f)
        collections = {c['Name'] for c in meta['Collections']}
        for model in meta['Models']:
            yield collections, model


def test_every_entry_names_its_config_and_collection():
    entries = list(models())
    assert entries
    for collections, model in entries:
        assert model['In Collection'] in collections, model['Name']
        assert osp.isfile(osp.join(ROOT, model['Config'])), model['Config']
        assert osp.basename(model['Config']) == model['Name'] + '.py'
