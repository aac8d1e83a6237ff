"""Compare trained configs: one markdown table and one bar chart by object size."""
import json
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from matplotlib.figure import Figure
from mmengine.config import Config

from mmfpn.analysis.pictures import newest_run, read_scalars
from mmfpn.config.load import mim_path
from mmfpn.paper import DET_METRICS, RPN_METRICS, TABLE_1, TABLE_2, TABLE_3, TABLE_6, TIME


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


def seconds_per_image(work_dir: str) -> float:
    """Seconds per image of the last evaluation in ``work_dir``: the mean iteration
    ``time`` mmengine logged with it, over the run's val batch size."""
    times = [r['time'] for r in read_scalars(work_dir)
             if 'time' in r and any(k.startswith('coco/') for k in r)]
    if not times:
        raise ValueError(f'no evaluation logged in {work_dir}')
    cfg = Config.fromfile(osp.join(newest_run(work_dir), 'config.py'))
    return times[-1] / cfg.val_dataloader.batch_size


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


TINY = 'configs/tiny/'
TINY_TABLES = {
    '1': [('1(a)', TINY + 'rpn_r18-c4_tiny.py', TABLE_1['a']),
          ('1(b)', TINY + 'rpn_r18-c5_tiny.py', TABLE_1['b']),
          ('1(c)', TINY + 'rpn_r18_paper-fpn_tiny.py', TABLE_1['c']),
          ('1(d)', TINY + 'rpn_r18_paper-fpn-bottom-up_tiny.py', TABLE_1['d']),
          ('1(e)', TINY + 'rpn_r18_paper-fpn-no-lateral_tiny.py', TABLE_1['e']),
          ('1(f)', TINY + 'rpn_r18_paper-fpn-p2_tiny.py', TABLE_1['f'])],
    '2': [('2(a)', TINY + 'fast-rcnn_r18-c4_tiny.py', TABLE_2['a']),
          ('2(b)', TINY + 'fast-rcnn_r18-c5_tiny.py', TABLE_2['b']),
          ('2(c)', TINY + 'fast-rcnn_r18_paper-fpn_tiny.py', TABLE_2['c']),
          ('2(d)', TINY + 'fast-rcnn_r18_paper-fpn-bottom-up_tiny.py', TABLE_2['d']),
          ('2(e)', TINY + 'fast-rcnn_r18_paper-fpn-no-lateral_tiny.py', TABLE_2['e']),
          ('2(f)', TINY + 'fast-rcnn_r18_paper-fpn-p2_tiny.py', TABLE_2['f'])],
    '3': [('3(a)', TINY + 'faster-rcnn_r18-c4_tiny.py', TABLE_3['a']),
          ('3(b)', TINY + 'faster-rcnn_r18-c5_tiny.py', TABLE_3['b']),
          ('3(c)', TINY + 'faster-rcnn_r18_paper-fpn_tiny.py', TABLE_3['c'])],
    '6': [('6(a)', TINY + 'seg-proposal_r18-c4_image-pyramid_tiny.py', TABLE_6['a']),
          ('6(c)', TINY + 'seg-proposal_r18_paper-fpn-5x5_tiny.py', TABLE_6['c']),
          ('6(d)', TINY + 'seg-proposal_r18_paper-fpn-7x7_tiny.py', TABLE_6['d']),
          ('6(e)', TINY + 'seg-proposal_r18_paper-fpn-dual_tiny.py', TABLE_6['e']),
          ('6(f)', TINY + 'seg-proposal_r18_paper-fpn-dual-2xmask_tiny.py', TABLE_6['f']),
          ('6(g)', TINY + 'seg-proposal_r18_paper-fpn-dual-2xmask-2x_tiny.py', TABLE_6['g'])],
}


#: Table 2's rows read the proposals of this RPN (Table 1(c)), from PROPOSALS.
PROPOSAL_RPN = TINY + 'rpn_r18_paper-fpn_tiny.py'
PROPOSALS = 'data/tiny/proposals/rpn_r18_paper-fpn_tiny_{split}.pkl'


def train(config: str, work_dir: str) -> None:
    """``tools/train.py CONFIG --work-dir WORK_DIR`` in its own process (each run
    gets mmengine's global state fresh)."""
    print(f'compare: training {config}', flush=True)
    subprocess.run([sys.executable, mim_path('tools', 'train.py'), config,
                    '--work-dir', work_dir], check=True)


def ensure_proposals(work_root: str, retrain: bool) -> None:
    """Train the Table 1(c) RPN and dump its train/val proposals, unless done."""
    rpn_dir = osp.join(work_root, config_name(PROPOSAL_RPN))
    if retrain or not evaluated(rpn_dir):
        train(PROPOSAL_RPN, rpn_dir)
    with open(osp.join(rpn_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    for split in ('train', 'val'):
        if retrain or not osp.exists(PROPOSALS.format(split=split)):
            print(f'compare: dumping {split} proposals of {PROPOSAL_RPN}', flush=True)
            subprocess.run([sys.executable, mim_path('tools', 'dump_proposals.py'),
                            PROPOSAL_RPN, checkpoint, '--split', split,
                            '--work-dir', osp.join(rpn_dir, f'dump_{split}')], check=True)


def evaluated(work_dir: str) -> bool:
    """Whether ``work_dir`` holds a finished evaluation."""
    try:
        final_metrics(work_dir)
    except (OSError, ValueError):
        return False
    return True


def compare(tables: Dict[str, List[Tuple[str, str, Optional[dict]]]], work_root: str,
            out_dir: str, retrain: bool = False) -> None:
    """Train each row of ``tables`` unless its work dir holds an evaluation, then
    write ``<table>.md`` (ours beside the paper), ``<table>.png`` and ``<table>.json``.

    Args:
        tables: Table name -> rows ``(row, config, paper metrics or None)``;
            ``'table2'`` first dumps the proposals of :data:`PROPOSAL_RPN`.
        work_root: One work dir per config below it.
        out_dir: Where the tables, charts and json go.
        retrain: Train even where an evaluation exists.
    """
    os.makedirs(out_dir, exist_ok=True)
    for name, spec in tables.items():
        if name == 'table2':
            ensure_proposals(work_root, retrain)
        rows = []
        for row, config, paper in spec:
            work_dir = osp.join(work_root, config_name(config))
            if retrain or not evaluated(work_dir):
                train(config, work_dir)
            metrics = final_metrics(work_dir)
            if paper and TIME in paper[1]:
                metrics[TIME] = seconds_per_image(work_dir)
            rows.append((row, config_name(config), metrics, paper[1] if paper else None))
        table = markdown_table(rows)
        with open(osp.join(out_dir, f'{name}.md'), 'w') as f:
            f.write(table + '\n')
        write_json(rows, osp.join(out_dir, f'{name}.json'))
        chart = bar_chart(rows, osp.join(out_dir, f'{name}.png'),
                          f'{name}: tiny dataset (ours); see .md for the paper')
        print(table)
        print(f'compare: wrote {chart}')

