"""Train a set of configs (same seed and schedule) and compare them with the paper.

    python tools/compare.py --table 1 --table 2 --table 3   # the tiny rows of Tables 1-3
    python tools/compare.py CONFIG [CONFIG ...]      # any configs, no paper column
        [--work-root work_dirs/compare] [--out-dir work_dirs/compare] [--retrain]

For each table writes ``table<N>.md`` (ours beside the paper's numbers),
``table<N>.png`` (bars by object size) and ``table<N>.json``. A config whose work
dir already holds an evaluation is not trained again unless ``--retrain``.
Table 2 trains on the fixed proposals of the tiny Table 1(c) RPN: it is trained
(if not already) and its train and val proposals dumped (if not already) first.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmfpn.analysis.compare import bar_chart, config_name, final_metrics, markdown_table, write_json  # noqa: E402
from mmfpn.paper import TABLE_1, TABLE_2, TABLE_3  # noqa: E402

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
}


#: Table 2's rows read the proposals of this RPN (Table 1(c)), from PROPOSALS.
PROPOSAL_RPN = TINY + 'rpn_r18_paper-fpn_tiny.py'
PROPOSALS = 'data/tiny/proposals/rpn_r18_paper-fpn_tiny_{split}.pkl'


def train(config: str, work_dir: str) -> None:
    print(f'compare: training {config}', flush=True)
    subprocess.run([sys.executable, osp.join(ROOT, 'tools', 'train.py'), config,
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
            subprocess.run([sys.executable, osp.join(ROOT, 'tools', 'dump_proposals.py'),
                            PROPOSAL_RPN, checkpoint, '--split', split,
                            '--work-dir', osp.join(rpn_dir, f'dump_{split}')], check=True)


def evaluated(work_dir: str) -> bool:
    try:
        final_metrics(work_dir)
    except (OSError, ValueError):
        return False
    return True


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='*')
    parser.add_argument('--table', action='append', choices=sorted(TINY_TABLES), default=[])
    parser.add_argument('--work-root', default='work_dirs/compare')
    parser.add_argument('--out-dir', default='work_dirs/compare')
    parser.add_argument('--retrain', action='store_true')
    args = parser.parse_args(argv)
    tables = {f'table{t}': TINY_TABLES[t] for t in args.table}
    if args.configs:
        tables['custom'] = [(config_name(c), c, None) for c in args.configs]
    if not tables:
        parser.error('give --table and/or configs')
    os.makedirs(args.out_dir, exist_ok=True)
    for name, spec in tables.items():
        if name == 'table2':
            ensure_proposals(args.work_root, args.retrain)
        rows = []
        for row, config, paper in spec:
            work_dir = osp.join(args.work_root, config_name(config))
            if args.retrain or not evaluated(work_dir):
                train(config, work_dir)
            rows.append((row, config_name(config), final_metrics(work_dir),
                         paper[1] if paper else None))
        table = markdown_table(rows)
        with open(osp.join(args.out_dir, f'{name}.md'), 'w') as f:
            f.write(table + '\n')
        write_json(rows, osp.join(args.out_dir, f'{name}.json'))
        chart = bar_chart(rows, osp.join(args.out_dir, f'{name}.png'),
                          f'{name}: tiny dataset (ours); see .md for the paper')
        print(table)
        print(f'compare: wrote {chart}')


if __name__ == '__main__':
    main()
