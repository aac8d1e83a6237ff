"""Publish a checkpoint for the model zoo: ``OUT-<sha256[:8]>.pth``, weights-only.

    python tools/publish_model.py IN_FILE OUT_FILE [--config CONFIG]

Keeps ``meta`` (class names, config, versions of mmfpn/mmdet/mmengine/mmcv/torch)
and ``state_dict``; the file loads with ``torch.load(..., weights_only=True)``.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmfpn  # noqa: E402,F401
from mmfpn.config.load import ConfigError, load_config  # noqa: E402
from mmfpn.deploy.mmdet_export import ExportError, publish_checkpoint  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('in_file')
    parser.add_argument('out_file')
    parser.add_argument('--config', help='record this config instead of the checkpoint\'s')
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config) if args.config else None
        print(publish_checkpoint(args.in_file, args.out_file, cfg))
    except (ConfigError, ExportError) as err:
        sys.exit(f'error: {err}')


if __name__ == '__main__':
    main()
