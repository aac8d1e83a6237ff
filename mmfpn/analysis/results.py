"""The project's stated numbers, kept in one machine-readable file (``docs/results.json``).

The result tables of the README and ``docs/results.md`` and the metrics of
``configs/tiny/metafile.yml`` are written from it (:func:`sync_blocks`,
:func:`sync_metafile`; ``tools/sync_results.py``),
and the tests read it: a number is changed in the file, never in prose.
"""
import json
import os.path as osp
import re
from typing import Dict, List, Sequence, Tuple

from mmfpn.analysis.tables import PAPER_TABLES, bar_chart, config_name, markdown_table
from mmfpn.paper import TABLE_3, TIME

#: mmdet's ``CocoMetric`` key -> the metric name in mim's metafile.
METAFILE_METRICS = {'bbox_mAP': 'box AP', 'bbox_mAP_50': 'box AP@0.5',
                    'bbox_mAP_s': 'box AP_s', 'bbox_mAP_m': 'box AP_m', 'bbox_mAP_l': 'box AP_l',
                    'segm_mAP': 'mask AP', 'segm_mAP_50': 'mask AP@0.5',
                    'segm_mAP_s': 'mask AP_s', 'segm_mAP_m': 'mask AP_m', 'segm_mAP_l': 'mask AP_l',
                    'AR@100': 'AR@100', 'AR@1000': 'AR@1000', 'AR_s@1000': 'AR_s@1000',
                    'AR_m@1000': 'AR_m@1000', 'AR_l@1000': 'AR_l@1000'}
def load_results(path: str) -> dict:
    """``docs/results.json`` as a dict."""
    with open(path) as f:
        return json.load(f)


def stated_demo_metrics(results: dict, precision: str) -> Dict[str, float]:
    """The demo's stated metrics (percent) at ``precision`` (``'fp32'`` or ``'amp'``)."""
    return results['demo'][precision]['metrics']


def _digits(name: str) -> int:
    return 2 if name == TIME else 1


def row_metrics(row: dict) -> Dict[str, float]:
    """A stated row's metrics: its ``'metrics'``, or the mean over its ``'seeds'``
    rounded as the tables state it (seconds to 0.01, percentages to 0.1)."""
    if 'metrics' in row:
        return row['metrics']
    seeds = list(row['seeds'].values())
    return {k: round(sum(m[k] for m in seeds) / len(seeds), _digits(k)) for k in seeds[0]}


def table_rows(results: dict, table: str,
               group: str = 'tiny') -> List[Tuple[str, str, dict, dict]]:
    """``(row, config name, ours, paper)`` of a table of ``group`` (``'tiny'``,
    ``'trees'``), for :func:`markdown_table` and charts; a row run with several seeds
    states their mean."""
    paper = PAPER_TABLES[table]
    return [(r['row'], config_name(r['config']), row_metrics(r), paper[r['row'][-2]][1])
            for r in results[group][table]]


def demo_table(results: dict) -> str:
    """The demo's stated numbers, one row per precision, with machine and date."""
    names = ('bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_s', 'bbox_mAP_m', 'bbox_mAP_l')
    lines = ['| precision | ' + ' | '.join(names) + ' | train + evaluation | machine | date |',
             '|' + '---|' * (len(names) + 4)]
    for precision in ('fp32', 'amp'):
        run = results['demo'][precision]
        cells = [f'{run["metrics"][n]:.1f}' if n in run['metrics'] else '-' for n in names]
        lines.append(f'| {precision} | ' + ' | '.join(cells) + f' | {run["train_and_eval_s"]} s | '
                     f'{run["machine"]} | {run["date"]} |')
    return '\n'.join(lines)


def seeds_table(rows: List[dict]) -> str:
    """Rows run with several seeds: ``mean (min-max)`` of each metric, then the paper's
    value where the paper states one.

    Each row: ``{'row': '3(c)', 'config': path, 'seeds': {seed: metrics}}``.
    """
    names = tuple(next(iter(rows[0]['seeds'].values())))
    papers = [PAPER_TABLES[f'table{r["row"][0]}'][r['row'][-2]][1] for r in rows]
    lines = ['| paper row | config | seeds | '
             + ' | '.join(f'{n} mean (min-max)' + (' [paper]' if n in papers[0] else '')
                          for n in names) + ' |',
             '|' + '---|' * (len(names) + 3)]
    for r, paper in zip(rows, papers):
        cells = []
        for n in names:
            values = [m[n] for m in r['seeds'].values()]
            d = _digits(n)
            cells.append(f'{sum(values) / len(values):.{d}f} ({min(values):.{d}f}-'
                         f'{max(values):.{d}f})' + (f' [{paper[n]:.{d}f}]' if n in paper else ''))
        lines.append(f'| {r["row"]} | `{config_name(r["config"])}` | '
                     f'{", ".join(map(str, r["seeds"]))} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def runs_table(runs: List[dict]) -> str:
    """Single runs with no paper row (e.g. Mask R-CNN): the metrics, seed, machine and date.

    Each run: ``{'config': path, 'seed': int, 'metrics': {...}, 'machine': str, 'date': str}``.
    """
    names = tuple(runs[0]['metrics'])
    lines = ['| config | ' + ' | '.join(names) + ' | seed | machine | date |',
             '|' + '---|' * (len(names) + 4)]
    for run in runs:
        cells = ' | '.join(f'{run["metrics"][n]:.1f}' for n in names)
        lines.append(f'| `{config_name(run["config"])}` | {cells} | {run["seed"]} | '
                     f'{run["machine"]} | {run["date"]} |')
    return '\n'.join(lines)


def summary_table(results: dict) -> str:
    """The claim in one table: Table 3's single-scale baselines against FPN (box AP, and
    AP on small objects) on the tiny set and the tree crowns, beside the paper's COCO
    numbers; tree rows state their seeds' mean."""
    lines = ['| data | metric | C4 (3a) | C5 (3b) | FPN (3c) | paper, COCO (a / b / c) |',
             '|---|---|---|---|---|---|']
    groups = [('tiny (synthetic)', results['tiny']['table3']),
              ('tree crowns (real)', results['trees']['table3'])]
    for data, rows in groups:
        ours = {r['row']: row_metrics(r) for r in rows}
        for key, label in (('bbox_mAP', 'box AP'), ('bbox_mAP_s', 'box AP, small')):
            paper = ' / '.join(f'{TABLE_3[row][1][key]:.1f}' for row in 'abc')
            cells = ' | '.join(f'{ours[f"3({row})"][key]:.1f}' for row in 'abc')
            lines.append(f'| {data} | {label} | {cells} | {paper} |')
    return '\n'.join(lines)


def result_blocks(results: dict) -> Dict[str, str]:
    """Every table written from ``results``, by block name: ``summary``, ``demo``,
    ``table1``..., ``trees-table1``..., ``mask-rcnn``."""
    bodies = {table: seeds_table(rows) if 'seeds' in rows[0]
              else markdown_table(table_rows(results, table))
              for table, rows in results['tiny'].items()}
    bodies['summary'] = summary_table(results)
    bodies['demo'] = demo_table(results)
    for table, rows in results.get('trees', {}).items():
        bodies[f'trees-{table}'] = seeds_table(rows)
    if results.get('mask_rcnn'):
        bodies['mask-rcnn'] = runs_table(results['mask_rcnn'])
    return bodies


def seed_spread(rows: List[dict]) -> Dict[str, Dict[str, Tuple[float, float]]]:
    """``{row: {metric: (min, max)}}`` over the seeds of each row run with several."""
    return {r['row']: {k: (min(m[k] for m in r['seeds'].values()),
                           max(m[k] for m in r['seeds'].values()))
                       for k in next(iter(r['seeds'].values()))}
            for r in rows if 'seeds' in r}


#: Chart file (in ``docs/``) -> (results group, table, title).
CHARTS = {
    'tiny_table1': ('tiny', 'table1', 'Table 1 on the tiny set: RPN recall by object size'),
    'tiny_table2': ('tiny', 'table2', 'Table 2 on the tiny set: Fast R-CNN on fixed proposals, '
                                      'box AP'),
    'tiny_table3': ('tiny', 'table3', 'Table 3 on the tiny set: Faster R-CNN, box AP'),
    'tiny_table6': ('tiny', 'table6', 'Table 6 on the tiny set: mask proposal recall'),
    'trees_table1': ('trees', 'table1', 'Table 1 on tree crowns: RPN recall by object size'),
    'trees_table3': ('trees', 'table3', 'Table 3 on tree crowns: Faster R-CNN, box AP'),
}


def write_charts(results: dict, out_dir: str) -> List[str]:
    """The results' charts (:data:`CHARTS`): bars of ours (mean over seeds, with the
    seeds' range), the paper's COCO value as a tick; returns the files written."""
    written = []
    for name, (group, table, title) in CHARTS.items():
        rows = results[group][table]
        seeds = {len(r.get('seeds', {})) for r in rows} - {0}
        suffix = f' (mean of {max(seeds)} seeds)' if seeds else ' (one seed)'
        written.append(bar_chart(table_rows(results, table, group),
                                 osp.join(out_dir, f'{name}.png'), title + suffix,
                                 seed_spread(rows)))
    return written


def _block(name: str) -> Tuple[str, str]:
    return f'<!-- results:{name} -->', f'<!-- /results:{name} -->'


def block_names(text: str) -> List[str]:
    """The ``<!-- results:NAME -->`` blocks ``text`` holds, in order."""
    return re.findall(r'<!-- results:([\w-]+) -->', text)


def sync_blocks(text: str, results: dict, names: Sequence[str]) -> str:
    """``text`` with each ``<!-- results:NAME -->`` block of ``names`` rewritten from
    ``results`` (:func:`result_blocks`).

    Raises:
        ValueError: a block's markers are missing from ``text``.
    """
    bodies = result_blocks(results)
    for name in names:
        start, end = _block(name)
        pattern = re.compile(re.escape(start) + r'.*?' + re.escape(end), re.S)
        if not pattern.search(text):
            raise ValueError(f'no {start} ... {end} block to write')
        text = pattern.sub(lambda _: f'{start}\n{bodies[name]}\n{end}', text)
    return text


def metafile_metrics(results: dict) -> Dict[str, Dict[str, float]]:
    """``{model name: {metafile metric: value}}`` of every tiny table row, every Mask R-CNN
    run and every tree-crown row (a row run with several seeds states their mean), and
    the demo's float32 run."""
    rows = [r for group in ('tiny', 'trees') for rows in results.get(group, {}).values()
            for r in rows] + results.get('mask_rcnn', [])
    rows.append({'config': results['demo']['config'], **results['demo']['fp32']})
    return {config_name(r['config']): {METAFILE_METRICS[k]: v for k, v in row_metrics(r).items()
                                       if k in METAFILE_METRICS}
            for r in rows}


def sync_metafile(text: str, results: dict) -> str:
    """``text`` (a metafile) with each listed model's metric values from ``results``, and
    the demo's training time (its float32 train + evaluation); comments and layout are
    kept."""
    wanted = metafile_metrics(results)
    demo = results['demo']
    wanted[config_name(demo['config'])]['Training Time (s)'] = demo['fp32']['train_and_eval_s']
    out, model = [], None
    for line in text.splitlines(keepends=True):
        name = re.match(r'\s+- Name: (\S+)\s*$', line)
        if name:
            model = name[1]
        metric = re.match(r'(\s+)([^:]+): ([\d.]+)\s*$', line)
        if metric and model in wanted and metric[2] in wanted[model]:
            line = f'{metric[1]}{metric[2]}: {wanted[model][metric[2]]}\n'
        out.append(line)
    return ''.join(out)
