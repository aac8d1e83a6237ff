"""One home for the stated numbers: README tables and metafile agree with docs/results.json."""
import os.path as osp

import pytest
import yaml
from helpers import ROOT

from mmfpn.analysis.results import (load_results, metafile_metrics, stated_demo_metrics,
                                    sync_metafile, sync_readme)

RESULTS = osp.join(ROOT, 'docs', 'results.json')


@pytest.fixture()
def results():
    return load_results(RESULTS)


def read(*parts):
    with open(osp.join(ROOT, *parts)) as f:
        return f.read()


def test_readme_tables_are_written_from_the_results(results):
    readme = read('README.md')
    assert sync_readme(readme, results) == readme, 'run python tools/sync_results.py'


def test_a_changed_number_changes_the_readme(results):
    readme = read('README.md')
    results['tiny']['table3'][2]['metrics']['bbox_mAP'] = 12.3
    synced = sync_readme(readme, results)
    assert '| 3(c) | `faster-rcnn_r18_paper-fpn_tiny` | 12.3 (33.9) |' in synced
    assert synced != readme


def test_metafile_states_the_results(results):
    wanted = metafile_metrics(results)
    meta = yaml.safe_load(read('configs', 'tiny', 'metafile.yml'))
    checked = 0
    for model in meta['Models']:
        if model['Name'] in wanted:
            assert model['Results'][0]['Metrics'] == wanted[model['Name']], model['Name']
            checked += 1
    assert checked == len(wanted) == 17  # 15 tiny rows, 2 tree-crown rows
    text = read('configs', 'tiny', 'metafile.yml')
    assert sync_metafile(text, results) == text


def test_a_readme_without_the_blocks_is_refused(results):
    with pytest.raises(ValueError, match='README has no <!-- results:'):
        sync_readme('# a README', results)


def test_demo_states_both_precisions(results):
    for precision in ('fp32', 'amp'):
        assert 0 < stated_demo_metrics(results, precision)['bbox_mAP'] <= 100
        assert results['demo'][precision]['machine'] and results['demo'][precision]['date']
