"""Build the real tree-crown set (data/trees/) from the deepforest wheel's annotated images.

    python tools/make_real.py [--root data/trees] [--wheel-dir data/downloads]
                              [--tile 400] [--overlap 100]

Downloads deepforest==2.1.0 without its dependencies (the package is not installed),
tiles its four annotated aerial images (train/, val/) and writes the validation regions
whole (val_whole/, for tools/test.py --slice), with COCO json for each; see
mmfpn/datasets/trees.py for the tiling and split rules and docs/trees.md for the data's
origin and licence.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmfpn.datasets.trees import TREES_ROOT, TreesSpec, fetch_wheel, make_trees  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--root', default=TREES_ROOT)
    parser.add_argument('--wheel-dir', default='data/downloads')
    parser.add_argument('--tile', type=int, default=TreesSpec.tile)
    parser.add_argument('--overlap', type=int, default=TreesSpec.overlap)
    args = parser.parse_args(argv)
    stats = make_trees(fetch_wheel(args.wheel_dir), args.root,
                       TreesSpec(tile=args.tile, overlap=args.overlap))
    for split, counts in stats.items():
        print(f'{split}: {counts}')


if __name__ == '__main__':
    main()
