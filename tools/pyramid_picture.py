"""Draw the pyramid at work on one val image (see mmfpn.analysis.pyramid).

    python tools/pyramid_picture.py CONFIG CHECKPOINT [--image data/tiny/val/00001.png]
        [--ann-file data/tiny/annotations/instances_val.json] [--out pyramid.png]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmfpn  # noqa: E402,F401
from mmfpn.analysis.pyramid import draw_pyramid  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--image', default='data/tiny/val/00001.png')
    parser.add_argument('--ann-file', default='data/tiny/annotations/instances_val.json')
    parser.add_argument('--out', default='pyramid.png')
    args = parser.parse_args(argv)
    print(draw_pyramid(args.config, args.checkpoint, args.image, args.ann_file, args.out))


if __name__ == '__main__':
    main()
