"""Evaluate a checkpoint: mmdet's ``tools/test.py`` command line, on mmengine's Runner.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out results.pkl]
                         [--show-dir DIR] [--cfg-options k=v ...] [--workers N] [--launcher ...]
                         [--fast [--bf16] [--backend openvino [--ir IR.xml]]] [--tta]
                         [--slice SIZE [--overlap F] [--merge nms|join] [--whole-image]
                                       [--max-dets N] [--max-per-window N] [--slice-batch N]]

--slice evaluates on the test images at their own size by sliced inference (large
images: aerial mosaics, slides); docs/large_images.md.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import DictAction  # noqa: E402

import mmfpn  # noqa: E402,F401  (registers components; safe checkpoint loading)
from mmfpn.apis.slicing import SliceOptions, add_slice_arguments  # noqa: E402
from mmfpn.apis.test import evaluate, evaluation_config  # noqa: E402
from mmfpn.config.load import ConfigError  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a detector')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save the evaluation metrics')
    parser.add_argument('--out', help='dump predictions to this pickle file (.pkl)')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument('--show-dir', help='save drawn predictions to WORK_DIR/TIMESTAMP/SHOW_DIR')
    parser.add_argument('--wait-time', type=float, default=2, help='interval of --show (s)')
    parser.add_argument('--fast', action='store_true',
                        help='fast inference path: conv+BN folding, channels-last, '
                             'inference_mode (same detections up to float rounding)')
    parser.add_argument('--bf16', action='store_true',
                        help='with --fast: run backbone and neck in bfloat16')
    parser.add_argument('--backend', choices=['torch', 'openvino'], default='torch',
                        help='with --fast: run backbone, neck and RPN head convs in OpenVINO')
    parser.add_argument('--ir', help='with --backend openvino: load this IR (.xml from '
                                     'tools/export_openvino.py) instead of converting')
    parser.add_argument('--tta', action='store_true',
                        help="mmdet's flip test-time augmentation (DetTTAModel)")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys')
    parser.add_argument('--workers', type=int, default=None,
                        help='loader processes; 0 loads in the main process. Default: the config\'s')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_slice_arguments(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        cfg = evaluation_config(
            args.config, args.checkpoint, args.work_dir, out=args.out, show=args.show,
            show_dir=args.show_dir, wait_time=args.wait_time, fast=args.fast, bf16=args.bf16,
            backend=args.backend, ir=args.ir, tta=args.tta, cfg_options=args.cfg_options,
            launcher=args.launcher, workers=args.workers, slicing=SliceOptions.from_args(args))
    except ConfigError as err:
        sys.exit(f'error: {err}')
    evaluate(cfg)


if __name__ == '__main__':
    main()
