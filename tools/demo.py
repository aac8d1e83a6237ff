"""The main job: train the tiny FPN Faster R-CNN, evaluate COCO box AP, draw pictures.

    python tools/demo.py [CONFIG] [--work-dir DIR] [--precision auto|fp32|amp]
                         [--cfg-options ...]

``--precision auto`` (``make demo``'s default) trains with mixed precision where the
machine runs it natively (a GPU, or a CPU with AVX512-BF16 / AMX) and in float32
elsewhere; the first line printed says which and why. See :mod:`mmfpn.apis.demo`.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmfpn.apis.demo import run_demo  # noqa: E402
from mmfpn.config.load import DEMO_CONFIG  # noqa: E402
from mmfpn.precision import PRECISION_CHOICES  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', nargs='?', default=DEMO_CONFIG)
    parser.add_argument('--work-dir', default=None)
    parser.add_argument('--num-images', type=int, default=6)
    parser.add_argument('--precision', choices=PRECISION_CHOICES, default='auto',
                        help='auto: mixed precision where native (GPU, AVX512-BF16/AMX CPU)')
    parser.add_argument('--cfg-options', nargs='+', default=[])
    args = parser.parse_args(argv)
    run_demo(args.config, args.work_dir, args.num_images, args.cfg_options, args.precision)


if __name__ == '__main__':
    main()
