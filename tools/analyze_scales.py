"""Object scales of a config's training set against its pyramid, anchors and Eq. (1).

    python tools/analyze_scales.py CONFIG [--out scales.png] [--cfg-options k=v ...]

Prints, for the training set after the config's resize: object sizes, the Eq. (1)
RoI level of each box, the best-anchor IoU per level with the share of boxes below
the RPN's positive / negative IoU thresholds by object size, and recommended
``anchor_sizes`` / ``canonical_scale``; draws the same as a PNG. No weights needed.
See docs/own_data.md.
"""
import argparse
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import DictAction  # noqa: E402

import mmfpn  # noqa: E402,F401
from mmfpn.analysis.scale_report import draw  # noqa: E402
from mmfpn.analysis.scales import analyze  # noqa: E402
from mmfpn.config.load import ConfigError, load_config  # noqa: E402
from mmfpn.datasets.checks import check_data  # noqa: E402
from mmfpn.datasets.tiny import ensure_tiny_for  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--out', help='PNG path (default: work_dirs/scales/<config>.png)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    name = osp.splitext(osp.basename(args.config))[0]
    out = args.out or osp.join('work_dirs', 'scales', f'{name}.png')
    start = time.perf_counter()
    try:
        cfg = load_config(args.config, args.cfg_options)
        ensure_tiny_for(cfg)
        check_data(cfg, verify_images_up_to=0)
        report = analyze(cfg)
    except ConfigError as err:
        sys.exit(f'error: {err}')
    print(report.text())
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    print(f'\nwrote {draw(report, out)} ({time.perf_counter() - start:.1f} s)')


if __name__ == '__main__':
    main()
