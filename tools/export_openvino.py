"""Export a detector's dense part as OpenVINO IR, beside the stock-mmdet export.

    python tools/export_openvino.py CONFIG CHECKPOINT OUT_DIR [--example-size H W]

Writes ``OUT_DIR/<config name>_dense.xml`` + ``.bin`` (backbone, neck and RPN head
convs, BN folded, f32 weights, dynamic batch/height/width) and, where stock mmdet
can express the model, the stock config and published checkpoint of
``tools/export_mmdet.py``. Test with the IR instead of converting again:

    python tools/test.py CONFIG CHECKPOINT --fast --backend openvino --ir OUT_DIR/<name>_dense.xml
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import torch  # noqa: E402
from mmdet.apis import init_detector  # noqa: E402

import mmfpn  # noqa: E402,F401
from mmfpn.engine.fast_inference import make_fast  # noqa: E402
from mmfpn.engine.launch import ConfigError, load_config  # noqa: E402
from mmfpn.engine.openvino_backend import (OpenVINOConversionError, convert_dense,  # noqa: E402
                                           import_openvino, save_dense_ir)
from mmfpn.export import ExportError, export_to_mmdet  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('out_dir')
    parser.add_argument('--example-size', type=int, nargs=2, default=[512, 512],
                        metavar=('H', 'W'),
                        help='tracing input size (the IR accepts any size)')
    args = parser.parse_args(argv)
    name = osp.splitext(osp.basename(args.config))[0]
    try:
        import_openvino()
        if not osp.isfile(args.checkpoint):
            raise ConfigError(f'checkpoint {args.checkpoint!r} does not exist')
        cfg = load_config(args.config)
        model = make_fast(init_detector(cfg, args.checkpoint, device='cpu'))
        example = torch.zeros(1, 3, *args.example_size)
        os.makedirs(args.out_dir, exist_ok=True)
        ir = save_dense_ir(convert_dense(model, example), osp.join(args.out_dir, f'{name}_dense.xml'))
    except (ConfigError, ImportError, OpenVINOConversionError) as err:
        sys.exit(f'error: {err}')
    print(ir)
    try:
        for path in export_to_mmdet(cfg, name, args.checkpoint, args.out_dir):
            print(path)
    except ExportError as err:
        print(f'no stock-mmdet export beside the IR: {err}')


if __name__ == '__main__':
    main()
