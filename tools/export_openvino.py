"""Export a detector's dense part as OpenVINO IR, beside the stock-mmdet export.

    python tools/export_openvino.py CONFIG CHECKPOINT OUT_DIR [--example-size H W]
                                    [--int8 [--calib N] [--calib-seed S]]

Writes ``OUT_DIR/<config name>_dense.xml`` + ``.bin`` (backbone, neck and RPN head
convs, BN folded, f32 weights, dynamic batch/height/width) and, where stock mmdet
can express the model, the stock config and published checkpoint of
``tools/export_mmdet.py``. Test with the IR instead of converting again:

    python tools/test.py CONFIG CHECKPOINT --fast --backend openvino --ir OUT_DIR/<name>_dense.xml

--int8 also writes ``OUT_DIR/<name>_dense_int8.xml``: the dense part quantized to INT8 by
NNCF, calibrated on N images of the config's training set through its test pipeline
(docs/openvino.md has its accuracy per object size and its speed).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmfpn  # noqa: E402,F401
from mmfpn.config.load import ConfigError, load_config  # noqa: E402
from mmfpn.deploy.mmdet_export import ExportError, export_to_mmdet  # noqa: E402
from mmfpn.apis.export import export_dense_ir  # noqa: E402
from mmfpn.deploy.int8 import DEFAULT_CALIB  # noqa: E402
from mmfpn.deploy.openvino import OpenVINOConversionError  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('out_dir')
    parser.add_argument('--example-size', type=int, nargs=2, default=[512, 512],
                        metavar=('H', 'W'),
                        help='tracing input size (the IR accepts any size)')
    parser.add_argument('--int8', action='store_true',
                        help='also write the INT8 IR (NNCF post-training quantization)')
    parser.add_argument('--calib', type=int, default=DEFAULT_CALIB,
                        help='with --int8: calibration images from the training set')
    parser.add_argument('--calib-seed', type=int, default=0,
                        help='with --int8: which calibration images are drawn')
    args = parser.parse_args(argv)
    try:
        for path in export_dense_ir(args.config, args.checkpoint, args.out_dir,
                                    tuple(args.example_size), args.int8, args.calib,
                                    args.calib_seed):
            print(path)
    except (ConfigError, ImportError, OpenVINOConversionError) as err:
        sys.exit(f'error: {err}')
    name = osp.splitext(osp.basename(args.config))[0]
    try:
        for path in export_to_mmdet(load_config(args.config), name, args.checkpoint,
                                    args.out_dir):
            print(path)
    except ExportError as err:
        print(f'no stock-mmdet export beside the IR: {err}')


if __name__ == '__main__':
    main()
