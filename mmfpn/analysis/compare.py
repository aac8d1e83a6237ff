"""Compare trained configs: one markdown table and one bar chart by object size."""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from matplotlib.figure import Figure

from mmfpn.analysis.pictures import read_scalars
from mmfpn.paper import DET_METRICS, RPN_METRICS


def final_metrics(work_dir: str) -> Dict[str, float]:
    """The last evaluation logged in ``work_dir`` (``coco/...`` keys, in percent)."""
    metrics: Dict[str, float] = {}
    for record in read_scalars(work_dir):
        found = {k.split('/', 1)[1]: v for k, v in record.items() if k.startswith('coco/')}
        if found:
            metrics = found
    if not metrics:
        raise ValueError(f'no coco/ metrics logged in {work_dir}')
    return {k: 100.0 * v for k, v in metrics.items()}


def metric_names(metrics: Dict[str, float]) -> Tuple[str, ...]:
    return RPN_METRICS if 'AR@100' in metrics else DET_METRICS


def markdown_table(rows: Sequence[Tuple[str, str, Dict[str, float],
                                        Optional[Dict[str, float]]]]) -> str:
    """Rows of ``(paper row, config, ours, paper)``; ours beside the paper's value."""
    names = metric_names(rows[0][2])
    head = '| paper row | config | ' + ' | '.join(f'{n} ours (paper)' for n in names) + ' |'
    lines = [head, '|' + '---|' * (len(names) + 2)]
    for row, config, ours, paper in rows:
        cells = [f'{ours.get(n, float("nan")):.1f}' + (f' ({paper[n]:.1f})' if paper else '')
                 for n in names]
        lines.append(f'| {row} | `{config}` | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def bar_chart(rows: Sequence[Tuple[str, str, Dict[str, float], Optional[Dict[str, float]]]],
              out_file: str, title: str) -> str:
    """Grouped bars: one group per metric (overall, small, medium, large), one bar per row."""
    names = metric_names(rows[0][2])
    fig = Figure(figsize=(10, 4.5), dpi=110)
    ax = fig.subplots()
    width = 0.8 / len(rows)
    for i, (row, config, ours, _) in enumerate(rows):
        xs = [j + i * width for j in range(len(names))]
        ax.bar(xs, [ours.get(n, 0.0) for n in names], width, label=f'{row}: {config}')
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(names))], names)
    ax.set_ylabel('percent')
    ax.set_title(title)
    ax.grid(axis='y', alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_file)
    return out_file


def write_json(rows: List, out_file: str) -> None:
    with open(out_file, 'w') as f:
        json.dump([dict(row=r, config=c, ours=o, paper=p) for r, c, o, p in rows], f, indent=1)


def config_name(path: str) -> str:
    return osp.splitext(osp.basename(path))[0]
