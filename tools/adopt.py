"""Put the paper's FPN, anchors and RoI extractor into an mmdet config.

    python tools/adopt.py CONFIG --out FILE

CONFIG is any mmdet config, ``mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py``
included. FILE gets the whole config with ``FPN``, ``AnchorGenerator`` and
``SingleRoIExtractor`` replaced by ``PaperFPN``, ``PaperAnchorGenerator`` and
``PaperRoIExtractor`` wherever they compute the same, and ``mmfpn`` imported; each
component left stock is printed with the reason.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmfpn.config.adopt import adopt_file  # noqa: E402
from mmfpn.config.load import ConfigError, load_config  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help="an mmdet config file or 'mmdet::<path>'")
    parser.add_argument('--out', required=True, help='where to write the adopted config')
    args = parser.parse_args(argv)
    try:
        decisions = adopt_file(load_config(args.config), args.out)
    except (ConfigError, ValueError) as err:
        sys.exit(f'error: {err}')
    for decision in decisions:
        print(decision)
    adopted = sum(d.paper_type is not None for d in decisions)
    print(f'{adopted} of {len(decisions)} components adopted; written to {args.out}')


if __name__ == '__main__':
    main()
