"""Export an mmfpn model for stock mmdet: a standalone config and a published checkpoint.

    python tools/export_mmdet.py CONFIG CHECKPOINT OUT_DIR

Writes ``OUT_DIR/<config name>.py`` (PaperFPN -> FPN, PaperAnchorGenerator ->
AnchorGenerator, PaperRoIExtractor -> SingleRoIExtractor, no custom_imports,
dataset metainfo kept) and ``OUT_DIR/<config name>-<sha256[:8]>.pth``. Refuses a
model using a paper switch that mmdet cannot express.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmfpn  # noqa: E402,F401
from mmfpn.config.load import ConfigError, load_config  # noqa: E402
from mmfpn.deploy.mmdet_export import ExportError, export_to_mmdet  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('out_dir')
    args = parser.parse_args(argv)
    name = osp.splitext(osp.basename(args.config))[0]
    try:
        config_out, ckpt_out = export_to_mmdet(load_config(args.config), name,
                                               args.checkpoint, args.out_dir)
    except (ConfigError, ExportError) as err:
        sys.exit(f'error: {err}')
    print(config_out)
    print(ckpt_out)


if __name__ == '__main__':
    main()
