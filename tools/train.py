"""Train a detector: mmdet's ``tools/train.py`` command line, on mmengine's Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
                                 [--auto-scale-lr] [--cfg-options k=v ...]
                                 [--workers N] [--launcher none|pytorch|slurm|mpi]
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import DictAction  # noqa: E402

import mmfpn  # noqa: E402,F401  (registers components; safe checkpoint loading)
from mmfpn.apis.train import train, train_config  # noqa: E402
from mmfpn.config.load import ConfigError  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a detector')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: fp16 + loss scaling on a GPU, bf16 autocast '
                             'of the dense parts on a CPU (MixedPrecisionOptimWrapper)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by total batch size / base_batch_size')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from CKPT, or from the latest checkpoint of '
                             'the work dir when CKPT is omitted')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. train_cfg.max_epochs=1')
    parser.add_argument('--workers', type=int, default=None,
                        help='loader processes of every dataloader; 0 loads in the training '
                             'process. Default: the config\'s')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        cfg = train_config(args.config, args.work_dir, amp=args.amp,
                           auto_scale_lr=args.auto_scale_lr, resume=args.resume,
                           cfg_options=args.cfg_options, launcher=args.launcher,
                           workers=args.workers)
        train(cfg)
    except ConfigError as err:
        sys.exit(f'error: {err}')


if __name__ == '__main__':
    main()
