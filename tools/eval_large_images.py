"""Evaluate a tile-trained detector on whole large images: tiles vs whole vs sliced.

    python tools/eval_large_images.py CONFIG CHECKPOINT --whole ANN_FILE IMG_PREFIX
        --slice SIZE [--overlap 0.25] [--merge nms join] [--work-dir DIR] [--out OUT.json]

ANN_FILE and IMG_PREFIX are relative to the config's data_root (the tree-crown set:
annotations/instances_val_whole.json val_whole/). Prints box AP, AP_s/m/l, AR@1000 and
seconds per megapixel of each mode; docs/large_images.md has the measured table.
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmfpn.apis.large_images import REPORTED, compare_modes  # noqa: E402
from mmfpn.config.load import ConfigError  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--whole', nargs=2, metavar=('ANN_FILE', 'IMG_PREFIX'), required=True)
    parser.add_argument('--slice', type=int, required=True, metavar='SIZE')
    parser.add_argument('--overlap', type=float, default=0.25)
    parser.add_argument('--merge', nargs='+', default=['nms', 'join'])
    parser.add_argument('--work-dir', default='work_dirs/large_images')
    parser.add_argument('--out', help='write the table as json here')
    args = parser.parse_args(argv)
    try:
        modes = compare_modes(args.config, args.checkpoint, args.work_dir, *args.whole,
                              args.slice, args.overlap, args.merge)
    except ConfigError as err:
        sys.exit(f'error: {err}')
    columns = [*REPORTED, 's/MP']
    print('| mode | ' + ' | '.join(columns) + ' |')
    print('|---' * (len(columns) + 1) + '|')
    for mode, row in modes.items():
        print(f'| {mode} | ' + ' | '.join(str(row.get(c, '')) for c in columns) + ' |')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(modes, f, indent=1)


if __name__ == '__main__':
    main()
