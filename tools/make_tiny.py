"""Generate the embedded tiny dataset (COCO format) into data/tiny/.

    python tools/make_tiny.py [--root data/tiny] [--num-train 320] [--num-val 80]
                              [--seed 0] [--force]
"""
import argparse
import os.path as osp
import shutil
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmfpn.datasets.tiny import TinySpec, ensure_tiny, size_histogram  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--root', default='data/tiny')
    parser.add_argument('--num-train', type=int, default=TinySpec.num_train)
    parser.add_argument('--num-val', type=int, default=TinySpec.num_val)
    parser.add_argument('--seed', type=int, default=TinySpec.seed)
    parser.add_argument('--force', action='store_true', help='regenerate if present')
    args = parser.parse_args(argv)
    if args.force and osp.isdir(args.root):
        shutil.rmtree(args.root)
    spec = TinySpec(num_train=args.num_train, num_val=args.num_val, seed=args.seed)
    for split, ann in ensure_tiny(args.root, spec).items():
        h = size_histogram(ann)
        print(f'{split}: {ann}: {h["count"]} objects, small {h["small"]:.0%}, '
              f'medium {h["medium"]:.0%}, large {h["large"]:.0%}')


if __name__ == '__main__':
    main()
