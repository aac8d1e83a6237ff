"""Detect objects in images with a trained model: mmdet's DetInferencer, mmfpn loaded.

    python tools/infer.py CONFIG CHECKPOINT IMAGE [IMAGE ...] [--out-dir outputs]
                          [--score-thr 0.3] [--device cpu] [--no-vis]
                          [--fast [--bf16] [--backend openvino [--ir IR.xml]]]
                          [--slice SIZE [--overlap F] [--merge nms|join] [--whole-image]
                                        [--max-dets N] [--max-per-window N] [--slice-batch N]]

Writes OUT_DIR/vis/<image> (boxes drawn) and OUT_DIR/preds/<image>.json (labels,
scores, boxes in input-image pixels), as mmdet's demo/image_demo.py does. --slice
detects on overlapping windows of a large image at its own size (docs/large_images.md).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmfpn.apis.infer import infer  # noqa: E402
from mmfpn.apis.slicing import SliceOptions, add_slice_arguments  # noqa: E402
from mmfpn.config.load import ConfigError  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('images', nargs='+')
    parser.add_argument('--out-dir', default='outputs')
    parser.add_argument('--score-thr', type=float, default=0.3)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--no-vis', action='store_true',
                        help='write only the predictions (drawing a very large image costs '
                             'more memory and time than detecting on it)')
    parser.add_argument('--fast', action='store_true',
                        help='conv+BN folding, channels-last, inference_mode')
    parser.add_argument('--bf16', action='store_true', help='with --fast: bf16 dense part')
    parser.add_argument('--backend', choices=['torch', 'openvino'], default='torch',
                        help='with --fast: the dense part in OpenVINO')
    parser.add_argument('--ir', help='with --backend openvino: an IR from tools/export_openvino.py')
    add_slice_arguments(parser)
    args = parser.parse_args(argv)
    try:
        counts = infer(args.config, args.checkpoint, args.images, args.out_dir,
                       args.score_thr, args.device, args.fast, args.bf16, args.backend,
                       args.ir, SliceOptions.from_args(args), draw=not args.no_vis)
    except ConfigError as err:
        sys.exit(f'error: {err}')
    for image, kept in zip(args.images, counts):
        print(f'{image}: {kept} detections with score >= {args.score_thr}')
    print(f'wrote {args.out_dir}/preds' + ('' if args.no_vis else f' and {args.out_dir}/vis'))


if __name__ == '__main__':
    main()
