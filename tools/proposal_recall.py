"""Mask-proposal recall per object, grouped by the MLP (and level) each object is
assigned to, from ``tools/test.py CONFIG CHECKPOINT --out predictions.pkl``.

    python tools/proposal_recall.py CONFIG PREDICTIONS.pkl [--max-dets 1000] [--by-level]
        [--groups-of OTHER_CONFIG]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmfpn.analysis.proposal_recall import recall_by_mlp, recall_table  # noqa: E402
from mmfpn.config.load import ConfigError  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('predictions', help='the .pkl of tools/test.py --out')
    parser.add_argument('--max-dets', type=int, default=1000,
                        help="proposals per image, best-scored first (AR@k's k)")
    parser.add_argument('--by-level', action='store_true',
                        help='one group per MLP and pyramid level')
    parser.add_argument('--groups-of', metavar='OTHER_CONFIG',
                        help="group the objects by this config's head (e.g. a single-MLP "
                             "model's predictions on the dual MLP's groups)")
    args = parser.parse_args(argv)
    try:
        print(recall_table(recall_by_mlp(args.config, args.predictions, args.max_dets,
                                         args.by_level, args.groups_of)))
    except ConfigError as err:
        sys.exit(f'error: {err}')


if __name__ == '__main__':
    main()
