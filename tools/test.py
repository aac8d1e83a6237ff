"""Evaluate a checkpoint: mmdet's ``tools/test.py`` command line, on mmengine's Runner.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out results.pkl]
                         [--show-dir DIR] [--cfg-options k=v ...] [--launcher ...]
                         [--fast [--bf16] [--backend openvino [--ir IR.xml]]] [--tta]
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import DictAction  # noqa: E402
from mmengine.registry import RUNNERS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import mmfpn  # noqa: E402,F401
from mmfpn.engine.compat import prepare_distributed  # noqa: E402
from mmfpn.engine.launch import (ConfigError, load_config, prepare_data,  # noqa: E402
                                 setup_work_dir, use_flip_tta)
from mmfpn.engine.openvino_backend import import_openvino  # noqa: E402
from mmfpn.engine.validate import check_model_config  # noqa: E402


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
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        if not osp.isfile(args.checkpoint):
            raise ConfigError(f'checkpoint {args.checkpoint!r} does not exist')
        cfg = load_config(args.config, args.cfg_options)
        cfg.launcher = args.launcher
        setup_work_dir(cfg, args.config, args.work_dir)
        cfg.load_from = args.checkpoint
        if args.out is not None:
            if not args.out.endswith(('.pkl', '.pickle')):
                raise ConfigError(f'--out must be a .pkl file, got {args.out!r}')
            evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [cfg.test_evaluator]
            cfg.test_evaluator = [*evaluators, dict(type='DumpDetResults', out_file_path=args.out)]
        if args.show or args.show_dir:
            hook = cfg.default_hooks.get('visualization')
            if hook is None:
                raise ConfigError('--show/--show-dir need default_hooks.visualization '
                                  "(type='DetVisualizationHook') in the config")
            hook.update(draw=True, show=args.show, wait_time=args.wait_time,
                        test_out_dir=args.show_dir)
        check_model_config(cfg)
        if args.bf16 and not args.fast:
            raise ConfigError('--bf16 is an option of the fast path: add --fast')
        if args.backend != 'torch' and not args.fast:
            raise ConfigError(f'--backend {args.backend} is an option of the fast path: add --fast')
        if args.ir is not None:
            if args.backend != 'openvino':
                raise ConfigError('--ir is an OpenVINO IR: add --fast --backend openvino')
            if not osp.isfile(args.ir):
                raise ConfigError(f'--ir {args.ir!r} does not exist; write it with '
                                  'tools/export_openvino.py CONFIG CHECKPOINT OUT_DIR')
        if args.backend == 'openvino':
            try:
                import_openvino()
            except ImportError as err:
                raise ConfigError(str(err)) from err
        if args.tta and args.fast:
            raise ConfigError('--tta and --fast cannot be combined: the fast path folds '
                              'the detector itself, not its test-time-augmentation wrapper')
        if args.tta:
            use_flip_tta(cfg)
        if args.fast:
            cfg.custom_hooks = [*cfg.get('custom_hooks', []),
                                dict(type='FastInferenceHook', bf16=args.bf16,
                                     backend=args.backend, ir=args.ir)]
        prepare_data(cfg)
    except ConfigError as err:
        sys.exit(f'error: {err}')
    prepare_distributed(cfg)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.test()


if __name__ == '__main__':
    main()
