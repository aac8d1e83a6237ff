"""Benchmark mmfpn against stock mmdet in one process (see mmfpn.benchmark).

    python tools/benchmark.py [--device cpu|cuda] [--repeats 5] [--batch-sizes 1 8]
                              [--size 800 1216] [--no-train | --train-only | --openvino-only]
                              [--out work_dirs/benchmark]

Writes OUT/benchmark.md (a table) and OUT/benchmark.json.
"""
import argparse
import json
import os
import os.path as osp
import sys
import warnings

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmfpn  # noqa: E402,F401
from mmfpn.benchmark.report import markdown  # noqa: E402
from mmfpn.benchmark.detector import TINY_SIZE, bench_openvino  # noqa: E402
from mmfpn.benchmark.harness import machine  # noqa: E402
from mmfpn.benchmark.timing import run_all, run_train  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1])
    parser.add_argument('--size', type=int, nargs=2, default=[800, 1216])
    parser.add_argument('--no-train', action='store_true')
    parser.add_argument('--train-only', action='store_true',
                        help='only the training-step rows (R50-FPN and the tiny demo config)')
    parser.add_argument('--openvino-only', action='store_true',
                        help='only the OpenVINO rows (R50-FPN and the tiny demo config, CPU)')
    parser.add_argument('--out', default='work_dirs/benchmark')
    args = parser.parse_args(argv)
    warnings.filterwarnings('ignore')
    if args.train_only:
        results = run_train(*args.size, repeats=args.repeats, device=args.device)
    elif args.openvino_only:
        results = dict(machine=machine('cpu'),
                       openvino=bench_openvino(*args.size, repeats=args.repeats),
                       openvino_tiny=bench_openvino(*TINY_SIZE, repeats=args.repeats, tiny=True))
    else:
        results = run_all(*args.size, repeats=args.repeats, device=args.device,
                          batch_sizes=args.batch_sizes, train=not args.no_train)
    os.makedirs(args.out, exist_ok=True)
    table = markdown(results)
    with open(osp.join(args.out, 'benchmark.md'), 'w') as f:
        f.write(table + '\n')
    with open(osp.join(args.out, 'benchmark.json'), 'w') as f:
        json.dump(results, f, indent=1)
    print(table)


if __name__ == '__main__':
    main()
