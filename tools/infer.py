"""Detect objects in images with a trained model: mmdet's DetInferencer, mmfpn loaded.

    python tools/infer.py CONFIG CHECKPOINT IMAGE [IMAGE ...] [--out-dir outputs]
                          [--score-thr 0.3] [--device cpu]

Writes OUT_DIR/vis/<image> (boxes drawn) and OUT_DIR/preds/<image>.json (labels,
scores, boxes in input-image pixels), as mmdet's demo/image_demo.py does.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmfpn  # noqa: E402,F401
from mmfpn.apis.infer import infer  # noqa: E402
from mmfpn.config.load import ConfigError  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('images', nargs='+')
    parser.add_argument('--out-dir', default='outputs')
    parser.add_argument('--score-thr', type=float, default=0.3)
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args(argv)
    try:
        counts = infer(args.config, args.checkpoint, args.images, args.out_dir,
                       args.score_thr, args.device)
    except ConfigError as err:
        sys.exit(f'error: {err}')
    for image, kept in zip(args.images, counts):
        print(f'{image}: {kept} detections with score >= {args.score_thr}')
    print(f'wrote {args.out_dir}/vis and {args.out_dir}/preds')


if __name__ == '__main__':
    main()
