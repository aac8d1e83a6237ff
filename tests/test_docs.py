"""The docs name what the code has: every relative link and #anchor resolves, the README
stays one screen's worth, the licence file is the one pyproject names, mim finds every
model config, and the export table names every registered type."""
import glob
import os.path as osp
import re

import pytest
from helpers import ROOT

from mmfpn.config.registered import mmfpn_types

PAGES = sorted([osp.join(ROOT, 'README.md')] + glob.glob(osp.join(ROOT, 'docs', '*.md'))
               + glob.glob(osp.join(ROOT, 'configs', '**', 'README.md'), recursive=True))
LINK = re.compile(r'\]\(([^)\s]+)\)')


def slug(heading: str) -> str:
    """GitHub's anchor of a markdown heading: lower case, punctuation dropped, spaces to -."""
    text = re.sub(r'[^\w\- ]', '', heading.strip().lower())
    return text.replace(' ', '-')


def anchors(path: str) -> set:
    with open(path) as f:
        return {slug(line.lstrip('#')) for line in f if line.startswith('#')}


@pytest.mark.parametrize('page', PAGES, ids=lambda p: osp.relpath(p, ROOT))
def test_every_relative_link_and_anchor_resolves(page):
    with open(page) as f:
        links = LINK.findall(f.read())
    broken = []
    for link in links:
        if re.match(r'[a-z]+:', link):  # https:, mailto:
            continue
        target, _, anchor = link.partition('#')
        path = osp.normpath(osp.join(osp.dirname(page), target)) if target else page
        if not osp.exists(path):
            broken.append(link)
        elif anchor and path.endswith('.md') and anchor not in anchors(path):
            broken.append(link)
    assert not broken, f'{osp.relpath(page, ROOT)}: broken links {broken}'


def test_the_heading_slug_is_githubs():
    assert slug(' Reliability: what a run survives') == 'reliability-what-a-run-survives'
    assert slug('Table 6 (segment proposals, mask AR at 1000)') == (
        'table-6-segment-proposals-mask-ar-at-1000')


def test_the_readme_fits_a_screen_or_two():
    with open(osp.join(ROOT, 'README.md')) as f:
        assert len(f.read().splitlines()) <= 150


def test_the_licence_file_is_the_one_pyproject_names():
    with open(osp.join(ROOT, 'pyproject.toml')) as f:
        assert 'license = { text = "Apache-2.0" }' in f.read()
    with open(osp.join(ROOT, 'LICENSE')) as f:
        assert 'Apache License' in f.readline() + f.readline() + f.readline()


def test_every_model_config_has_one_metafile_entry_that_mim_finds():
    """mim reads model-index.yml: every leaf config is one model entry of one imported
    metafile, but the own-data template and the tiny config that names ``--amp`` (the 3(c)
    model in another precision); the COCO entries carry no results and no weights."""
    import yaml
    with open(osp.join(ROOT, 'model-index.yml')) as f:
        metafiles = yaml.safe_load(f)['Import']
    entries = []
    for metafile in metafiles:
        with open(osp.join(ROOT, metafile)) as f:
            models = yaml.safe_load(f)['Models']
        entries += [m['Config'] for m in models]
        if 'tiny' not in metafile:
            assert not any('Weights' in m or 'Results' in m for m in models), metafile
    leaves = sorted(osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                                                            recursive=True)
                    if '/_base_/' not in p and '/own_data/' not in p and '_amp_' not in p)
    assert sorted(entries) == leaves


def test_the_export_table_names_every_registered_type_once():
    text = open(osp.join(ROOT, 'docs', 'mmdet_configs.md')).read()
    table = text.split('| type | registry | export |')[1].split('\n\n')[0]
    named = re.findall(r'^\| `(\w+)` \| (\w+) `([\w ]+)` \|', table, flags=re.M)
    types = mmfpn_types()
    assert sorted(n for n, _, _ in named) == sorted(types)
    for name, scope, registry in named:
        assert (types[name].scope, types[name].registry) == (scope, registry), name
