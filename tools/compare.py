"""Train a set of configs (same seed and schedule) and compare them with the paper.

    python tools/compare.py --table 1 --table 2 --table 3   # the tiny rows of Tables 1-3
    python tools/compare.py --table 6                       # Table 6 (segment proposals)
    python tools/compare.py CONFIG [CONFIG ...]      # any configs, no paper column
        [--work-root work_dirs/compare] [--out-dir work_dirs/compare] [--retrain]

For each table writes ``table<N>.md`` (ours beside the paper's numbers),
``table<N>.png`` (bars by object size) and ``table<N>.json``. A config whose work
dir already holds an evaluation is not trained again unless ``--retrain``.
Table 2 trains on the fixed proposals of the tiny Table 1(c) RPN: it is trained
(if not already) and its train and val proposals dumped (if not already) first.
"""
import argparse
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmfpn.analysis.tables import config_name  # noqa: E402
from mmfpn.apis.compare import TINY_TABLES, compare  # noqa: E402


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
    compare(tables, args.work_root, args.out_dir, args.retrain)


if __name__ == '__main__':
    main()
