"""Draw a segment proposal model's best mask proposals on val images, side by side.

    python tools/draw_proposals.py CONFIG CHECKPOINT [IMAGE ...] [--top-k 20]
        [--out proposals.png]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmfpn  # noqa: E402,F401
from mmfpn.analysis.pictures import draw_mask_proposals  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('images', nargs='*', default=['data/tiny/val/00001.png',
                                                     'data/tiny/val/00002.png',
                                                     'data/tiny/val/00003.png'])
    parser.add_argument('--top-k', type=int, default=20)
    parser.add_argument('--out', default='proposals.png')
    args = parser.parse_args(argv)
    print(draw_mask_proposals(args.config, args.checkpoint, args.images, args.out, args.top_k))


if __name__ == '__main__':
    main()
