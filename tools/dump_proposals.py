"""Dump an RPN's proposals for Fast R-CNN on fixed proposals (Table 2 / Table 3).

    python tools/dump_proposals.py RPN_CONFIG CHECKPOINT --split train|val
                                   [--out proposals/NAME_SPLIT2017.pkl]

Runs the RPN (e.g. configs/rpn/rpn_r50_paper-fpn_40k_coco.py, Table 1(c), or the
tiny configs/tiny/rpn_r18_paper-fpn_tiny.py) over the training or test images of
the config's own dataset and writes mmdet's proposal pickle under the dataset root
(default ``proposals/<rpn config>_<image folder>.pkl``: ``..._train2017.pkl`` on
COCO, ``..._train.pkl`` on tiny), where configs/_base_/datasets/coco_proposals.py
and tiny_proposals.py read it. On val it also reports AR. Multi-GPU: run it through
tools/dist_test.sh's launcher with ``--launcher pytorch``.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmfpn  # noqa: E402,F401
from mmfpn.apis.proposals import dump_proposals, proposals_config  # noqa: E402
from mmfpn.config.load import ConfigError  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--split', choices=['train', 'val'], required=True)
    parser.add_argument('--out', help='path under data_root; default proposals/<config>_<split>2017.pkl')
    parser.add_argument('--work-dir')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none')
    args = parser.parse_args(argv)
    try:
        cfg = proposals_config(args.config, args.checkpoint, args.split, args.out,
                               args.work_dir, args.launcher)
    except ConfigError as err:
        sys.exit(f'error: {err}')
    dump_proposals(cfg)


if __name__ == '__main__':
    main()
