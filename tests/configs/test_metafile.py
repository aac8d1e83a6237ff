"""The model index (what `mim search mmfpn` reads) names real configs and the README's numbers."""
import os.path as osp
import re

import yaml
from helpers import ROOT

#: Each metafile metric that the README's tiny tables show first, by task.
FIRST_COLUMN = {'Object Detection': 'box AP', 'Region Proposal': 'AR@100'}


def models():
    with open(osp.join(ROOT, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    for metafile in index['Import']:
        with open(osp.join(ROOT, metafile)) as f:
            meta = yaml.safe_load(f)
        collections = {c['Name'] for c in meta['Collections']}
        for model in meta['Models']:
            yield collections, model


def readme_rows():
    """``{config name: first "ours" number}`` of the README's paper tables."""
    with open(osp.join(ROOT, 'README.md')) as f:
        rows = re.findall(r'^\| \d\([a-f]\) \| `([\w.-]+)` \| ([\d.]+) \(', f.read(), re.M)
    return {name: float(value) for name, value in rows}


def test_every_entry_names_its_config_and_collection():
    entries = list(models())
    assert entries
    for collections, model in entries:
        assert model['In Collection'] in collections, model['Name']
        assert osp.isfile(osp.join(ROOT, model['Config'])), model['Config']
        assert osp.basename(model['Config']) == model['Name'] + '.py'


def test_entries_state_the_readme_tables_numbers():
    table = readme_rows()
    assert 'fast-rcnn_r18_paper-fpn_tiny' in table  # the regex reads the tables
    checked = 0
    for _, model in models():
        if model['Name'] not in table:
            continue
        result = model['Results'][0]
        assert result['Metrics'][FIRST_COLUMN[result['Task']]] == table[model['Name']], model['Name']
        checked += 1
    assert checked >= 9
