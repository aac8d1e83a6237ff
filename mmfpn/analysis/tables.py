"""Our numbers beside the paper's: one markdown table, one bar chart by object size, json."""
import json
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

from matplotlib.figure import Figure

from mmfpn.paper import DET_METRICS, RPN_METRICS, TABLE_1, TABLE_2, TABLE_3, TABLE_6, TIME


def metric_names(metrics: Dict[str, float]) -> Tuple[str, ...]:
    """The columns of a table whose first row states ``metrics``."""
    names = RPN_METRICS if 'AR@100' in metrics else DET_METRICS
    return names + (TIME, ) if TIME in metrics else names


def markdown_table(rows: Sequence[Tuple[str, str, Dict[str, float],
                                        Optional[Dict[str, float]]]]) -> str:
    """Rows of ``(paper row, config, ours, paper)``; ours beside the paper's value
    (where the paper states one)."""
    names = metric_names(rows[0][2])
    head = '| paper row | config | ' + ' | '.join(f'{n} ours (paper)' for n in names) + ' |'
    lines = [head, '|' + '---|' * (len(names) + 2)]
    for row, config, ours, paper in rows:
        digits = {n: 2 if n == TIME else 1 for n in names}
        cells = [f'{ours.get(n, float("nan")):.{digits[n]}f}'
                 + (f' ({paper[n]:.{digits[n]}f})' if paper and n in paper else '')
                 for n in names]
        lines.append(f'| {row} | `{config}` | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


#: Chart labels in words for mmdet's metric keys.
METRIC_WORDS = {
    'bbox_mAP': 'box AP', 'bbox_mAP_50': 'box AP at IoU 0.5', 'bbox_mAP_s': 'box AP, small',
    'bbox_mAP_m': 'box AP, medium', 'bbox_mAP_l': 'box AP, large',
    'AR@100': 'recall, 100 proposals', 'AR@1000': 'recall, 1000 proposals',
    'AR_s@1000': 'recall, small (1000)', 'AR_m@1000': 'recall, medium (1000)',
    'AR_l@1000': 'recall, large (1000)'}
#: One colour per method in every chart. Tables 1-3 share their rows' methods (a: C4,
#: b: C5, c: FPN, d: bottom-up, e: no lateral, f: P2 only); Table 6 has its own.
METHOD_COLORS = {
    'det': {'a': '#1f77b4', 'b': '#ff7f0e', 'c': '#2ca02c', 'd': '#9467bd', 'e': '#8c564b',
            'f': '#e377c2'},
    'seg': {'a': '#7f7f7f', 'c': '#bcbd22', 'd': '#17becf', 'e': '#2ca02c', 'f': '#d62728',
            'g': '#ff9896'}}
_ROW = re.compile(r'^([1-6])\(([a-g])\)$')
#: The paper's tables by name: row -> (description, metrics).
PAPER_TABLES = {'table1': TABLE_1, 'table2': TABLE_2, 'table3': TABLE_3, 'table6': TABLE_6}


def row_label(row: str, config: str) -> str:
    """A chart legend's words for a row: the paper's description of it, and the config."""
    found = _ROW.match(row)
    described = PAPER_TABLES.get(f'table{found[1]}', {}).get(found[2]) if found else None
    return f'{row} {described[0]}: {config}' if described else f'{row}: {config}'


def method_color(row: str, index: int) -> str:
    """The colour of a paper row (``'3(c)'``) in every chart; other rows take matplotlib's
    ``index``-th colour."""
    found = _ROW.match(row)
    if not found:
        return f'C{index % 10}'
    return METHOD_COLORS['seg' if found[1] == '6' else 'det'][found[2]]


def chart_figure(rows: Sequence[Tuple[str, str, Dict[str, float], Optional[Dict[str, float]]]],
                 title: str, spread: Optional[Dict[str, Dict[str, Tuple[float, float]]]] = None
                 ) -> Figure:
    """Grouped bars, one group per metric (in words), one bar per row in its method's
    colour; the paper's value as a black tick on a bar where the paper states one; the
    seeds' range (``spread[row][metric] = (min, max)``) as an error bar. Seconds per
    image are left to the table."""
    names = tuple(n for n in metric_names(rows[0][2]) if n != TIME and n in rows[0][2])
    fig = Figure(figsize=(10, 5.8), dpi=110)
    ax = fig.subplots()
    width = 0.8 / len(rows)
    for i, (row, config, ours, paper) in enumerate(rows):
        xs = [j + i * width for j in range(len(names))]
        values = [ours.get(n, 0.0) for n in names]
        ranges = (spread or {}).get(row)
        yerr = None
        if ranges:
            yerr = [[v - ranges[n][0] for v, n in zip(values, names)],
                    [ranges[n][1] - v for v, n in zip(values, names)]]
        ax.bar(xs, values, width, yerr=yerr, capsize=3, color=method_color(row, i),
               label=row_label(row, config))
        for x, n in zip(xs, names):
            if paper and n in paper:
                ax.hlines(paper[n], x - width / 2, x + width / 2, colors='black', linewidth=2.5)
    ax.plot([], [], color='black', linewidth=2.5, label="the paper's value (COCO, R-50)")
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(names))],
                  [METRIC_WORDS.get(n, n) for n in names])
    ax.set_ylabel('percent (higher is better)')
    ax.set_title(title)
    ax.grid(axis='y', alpha=0.3)
    ax.legend(fontsize=7, loc='upper center', bbox_to_anchor=(0.5, -0.08), ncol=2)  # off the bars
    fig.tight_layout()
    return fig


def bar_chart(rows: Sequence[Tuple[str, str, Dict[str, float], Optional[Dict[str, float]]]],
              out_file: str, title: str,
              spread: Optional[Dict[str, Dict[str, Tuple[float, float]]]] = None) -> str:
    """:func:`chart_figure` written to ``out_file``; returns ``out_file``."""
    chart_figure(rows, title, spread).savefig(out_file)
    return out_file


def write_json(rows: List, out_file: str) -> None:
    with open(out_file, 'w') as f:
        json.dump([dict(row=r, config=c, ours=o, paper=p) for r, c, o, p in rows], f, indent=1)


def config_name(path: str) -> str:
    return osp.splitext(osp.basename(path))[0]
