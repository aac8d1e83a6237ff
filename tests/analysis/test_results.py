"""One home for the stated numbers: the tables of the README and docs/results.md and the
metafile agree with docs/results.json, and each table lives in one file."""
import collections
import os.path as osp

import pytest
import yaml
from helpers import ROOT

from mmfpn.analysis.results import (block_names, load_results, metafile_metrics,
                                    result_blocks, stated_demo_metrics, summary_table,
                                    sync_blocks, sync_metafile)

RESULTS = osp.join(ROOT, 'docs', 'results.json')


@pytest.fixture()
def results():
    return load_results(RESULTS)


def read(*parts):
    with open(osp.join(ROOT, *parts)) as f:
        return f.read()


TABLE_FILES = (('README.md', ), ('docs', 'results.md'))


@pytest.mark.parametrize('parts', TABLE_FILES, ids=lambda p: osp.join(*p))
def test_result_tables_are_written_from_the_results(results, parts):
    text = read(*parts)
    assert sync_blocks(text, results, block_names(text)) == text, 'run tools/sync_results.py'


def test_every_table_lives_in_exactly_one_file(results):
    found = collections.Counter(n for parts in TABLE_FILES for n in block_names(read(*parts)))
    assert found == collections.Counter(list(result_blocks(results)))


def test_a_changed_number_changes_its_table(results):
    text = read('docs', 'results.md')
    results['tiny']['table3'][2]['metrics']['bbox_mAP'] = 12.3
    synced = sync_blocks(text, results, ['table3'])
    assert '| 3(c) | `faster-rcnn_r18_paper-fpn_tiny` | 12.3 (33.9) |' in synced
    assert synced != text


def test_the_summary_states_table3_on_both_sets_beside_the_paper(results):
    lines = summary_table(results).splitlines()
    assert lines[2] == '| tiny (synthetic) | box AP | 36.3 | 19.5 | 60.9 | 31.6 / 28.0 / 33.9 |'
    assert lines[5] == ('| tree crowns (real) | box AP, small | 1.8 | 0.1 | 5.5 | '
                        '13.2 / 9.6 / 17.8 |')


def test_metafile_states_the_results(results):
    wanted = metafile_metrics(results)
    meta = yaml.safe_load(read('configs', 'tiny', 'metafile.yml'))
    checked = 0
    for model in meta['Models']:
        if model['Name'] in wanted:
            stated = {k: v for result in model['Results'] for k, v in result['Metrics'].items()}
            assert stated == wanted[model['Name']], model['Name']
            checked += 1
    rows = [r for rows in results['tiny'].values() for r in rows]
    rows += [r for rows in results['trees'].values() for r in rows] + results.get('mask_rcnn', [])
    rows.append(results['demo'])
    assert checked == len(wanted) == len(rows) >= 15 + 2  # every stated row has an entry
    demo = next(m for m in meta['Models'] if m['Config'] == results['demo']['config'])
    assert demo['Metadata']['Training Time (s)'] == results['demo']['fp32']['train_and_eval_s']
    unmeasured = [m['Name'] for m in meta['Models']
                  if m['Name'] not in wanted and ('_tiny' in m['Name'] or '_trees' in m['Name'])]
    assert not unmeasured, f'metafile entries without a number in results.json: {unmeasured}'
    text = read('configs', 'tiny', 'metafile.yml')
    assert sync_metafile(text, results) == text


def test_a_file_without_the_block_is_refused(results):
    with pytest.raises(ValueError, match='no <!-- results:demo --> ... <!-- /results:demo --> block'):
        sync_blocks('# a README', results, ['demo'])


def test_demo_states_both_precisions_of_the_config_make_demo_trains(results):
    from mmfpn.config.load import DEMO_CONFIG
    assert results['demo']['config'] == DEMO_CONFIG
    assert f'CONFIG ?= {DEMO_CONFIG}' in read('Makefile')
    for precision in ('fp32', 'amp'):
        assert 0 < stated_demo_metrics(results, precision)['bbox_mAP'] <= 100
        assert results['demo'][precision]['machine'] and results['demo'][precision]['date']


def test_a_table6_row_states_seconds_and_only_the_papers_own_numbers():
    from mmfpn.analysis.tables import markdown_table
    from mmfpn.paper import TABLE_6
    ours = {'AR@100': 41.66, 'AR@1000': 45.31, 'AR_s@1000': 46.43, 'AR_m@1000': 45.6,
            'AR_l@1000': 43.3, 's/img': 0.9177}
    table = markdown_table([('6(e)', 'seg-proposal_r18_paper-fpn-dual_tiny', ours,
                             TABLE_6['e'][1])])
    assert table.splitlines()[0].endswith('| s/img ours (paper) |')
    # the paper states no AR@100 for Table 6
    assert table.splitlines()[2] == ('| 6(e) | `seg-proposal_r18_paper-fpn-dual_tiny` | 41.7 | '
                                     '45.3 (45.7) | 46.4 (31.9) | 45.6 (51.5) | 43.3 (60.8) | '
                                     '0.92 (0.24) |')


def test_a_run_without_a_paper_row_states_its_seed_machine_and_date():
    from mmfpn.analysis.results import runs_table
    run = dict(config='configs/tiny/mask-rcnn_r18_paper-fpn_tiny.py', seed=0, machine='Xeon',
               date='2026-12-03', metrics={'bbox_mAP': 61.04, 'segm_mAP': 58.96})
    assert runs_table([run]).splitlines() == [
        '| config | bbox_mAP | segm_mAP | seed | machine | date |', '|---|---|---|---|---|---|',
        '| `mask-rcnn_r18_paper-fpn_tiny` | 61.0 | 59.0 | 0 | Xeon | 2026-12-03 |']


def test_seconds_per_image_divide_the_evaluation_time_by_the_val_batch(tmp_path):
    from mmfpn.analysis.logs import seconds_per_image
    vis = tmp_path / '20261203_120000' / 'vis_data'
    vis.mkdir(parents=True)
    (vis / 'scalars.json').write_text('{"loss": 1.0, "time": 1.1, "step": 1}\n'
                                      '{"coco/AR@100": 0.4, "time": 3.6, "step": 6}\n')
    (vis / 'config.py').write_text('val_dataloader = dict(batch_size=4)\n')
    assert seconds_per_image(str(tmp_path)) == pytest.approx(0.9)


def test_a_seeded_table6_row_states_mean_spread_and_only_the_papers_own_numbers(results):
    from mmfpn.analysis.results import seeds_table
    row = dict(row='6(d)', config='configs/tiny/seg-proposal_r18_paper-fpn-7x7_tiny.py', seeds={
        '0': {'AR@100': 51.0, 'AR@1000': 52.1, 's/img': 0.89},
        '1': {'AR@100': 40.0, 'AR@1000': 43.4, 's/img': 0.96}})
    lines = seeds_table([row]).splitlines()
    assert lines[0] == ('| paper row | config | seeds | AR@100 mean (min-max) | '
                        'AR@1000 mean (min-max) [paper] | s/img mean (min-max) [paper] |')
    assert lines[2] == ('| 6(d) | `seg-proposal_r18_paper-fpn-7x7_tiny` | 0, 1 | 45.5 (40.0-51.0) | '
                        '47.8 (43.4-52.1) [43.5] | 0.93 (0.89-0.96) [0.19] |')
    results['tiny']['table6'] = [row]
    assert metafile_metrics(results)['seg-proposal_r18_paper-fpn-7x7_tiny'] == {
        'AR@100': 45.5, 'AR@1000': 47.8}  # the mean; seconds are not a metafile metric


def test_a_chart_says_what_it_shows_in_words_with_the_paper_and_the_seed_range(results):
    from matplotlib.colors import to_hex
    from matplotlib.container import BarContainer

    from mmfpn.analysis.results import seed_spread, table_rows
    from mmfpn.analysis.tables import METHOD_COLORS, chart_figure
    rows = results['trees']['table3']
    ax = chart_figure(table_rows(results, 'table3', 'trees'), 'Table 3',
                      seed_spread(rows)).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        'box AP', 'box AP at IoU 0.5', 'box AP, small', 'box AP, medium']
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert [to_hex(b.patches[0].get_facecolor()) for b in bars] == [
        METHOD_COLORS['det'][k] for k in 'abc']
    assert all(b.errorbar is not None for b in bars)  # two seeds a row: their range
    fpn_low, fpn_high = seed_spread(rows)['3(c)']['bbox_mAP']
    caps = bars[2].errorbar.lines[1]
    assert sorted(round(float(cap.get_ydata()[0]), 1) for cap in caps) == [fpn_low, fpn_high]
    ticks = sorted(round(float(seg[0][1]), 1) for lc in ax.collections
                   for seg in lc.get_segments() if len(seg) == 2 and seg[0][1] == seg[1][1])
    assert 33.9 in ticks and 17.8 in ticks  # the paper's 3(c) box AP and AP_s, on the bars
