"""Our numbers beside the paper's: one markdown table, one bar chart by object size, json."""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from matplotlib.figure import Figure

from mmfpn.paper import DET_METRICS, RPN_METRICS, TIME


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


def bar_chart(rows: Sequence[Tuple[str, str, Dict[str, float], Optional[Dict[str, float]]]],
              out_file: str, title: str) -> str:
    """Grouped bars: one group per metric (overall, small, medium, large) the rows
    state, one bar per row (percentages only: seconds per image are left to the table)."""
    names = tuple(n for n in metric_names(rows[0][2]) if n != TIME and n in rows[0][2])
    fig = Figure(figsize=(10, 5.5), dpi=110)
    ax = fig.subplots()
    width = 0.8 / len(rows)
    for i, (row, config, ours, _) in enumerate(rows):
        xs = [j + i * width for j in range(len(names))]
        ax.bar(xs, [ours.get(n, 0.0) for n in names], width, label=f'{row}: {config}')
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(names))], names)
    ax.set_ylabel('percent')
    ax.set_title(title)
    ax.grid(axis='y', alpha=0.3)
    ax.legend(fontsize=7, loc='upper center', bbox_to_anchor=(0.5, -0.08), ncol=2)  # off the bars
    fig.tight_layout()
    fig.savefig(out_file)
    return out_file


def write_json(rows: List, out_file: str) -> None:
    with open(out_file, 'w') as f:
        json.dump([dict(row=r, config=c, ours=o, paper=p) for r, c, o, p in rows], f, indent=1)


def config_name(path: str) -> str:
    return osp.splitext(osp.basename(path))[0]
