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

from mmdet.apis import DetInferencer  # noqa: E402

import mmfpn  # noqa: E402,F401


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('images', nargs='+')
    parser.add_argument('--out-dir', default='outputs')
    parser.add_argument('--score-thr', type=float, default=0.3)
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args(argv)
    for path in [args.config, args.checkpoint, *args.images]:
        if not osp.isfile(path):
            sys.exit(f'error: {path!r} does not exist')
    inferencer = DetInferencer(model=args.config, weights=args.checkpoint, device=args.device,
                               show_progress=False)
    results = inferencer(args.images, out_dir=args.out_dir, no_save_pred=False,
                         pred_score_thr=args.score_thr)
    for image, pred in zip(args.images, results['predictions']):
        kept = sum(score >= args.score_thr for score in pred['scores'])
        print(f'{image}: {kept} detections with score >= {args.score_thr}')
    print(f'wrote {args.out_dir}/vis and {args.out_dir}/preds')


if __name__ == '__main__':
    main()
