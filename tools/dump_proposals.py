"""Dump an RPN's proposals for Fast R-CNN on fixed proposals (Table 2 / Table 3).

    python tools/dump_proposals.py RPN_CONFIG CHECKPOINT --split train|val
                                   [--out proposals/NAME_SPLIT2017.pkl]

Runs the RPN (e.g. configs/rpn/rpn_r50_paper-fpn_40k_coco.py, Table 1(c), or the
tiny configs/tiny/rpn_r18_paper-fpn_tiny.py) over the training or test images of
the config's own dataset and writes mmdet's proposal pickle under the dataset root
(default ``proposals/<rpn config>_<image folder>.pkl``: ``..._train2017.pkl`` on
COCO, ``..._train.pkl`` on tiny), where configs/_base_/datasets/coco_proposals.py
and tiny_proposals.py read it. On val it also reports AR. Multi-GPU: run it through
tools/dist_test.sh's launcher with ``--launcher pytorch``.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.runner import Runner  # noqa: E402

import mmfpn  # noqa: E402,F401
from mmfpn.engine.compat import prepare_distributed  # noqa: E402
from mmfpn.engine.launch import ConfigError, load_config, setup_work_dir  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--split', choices=['train', 'val'], required=True)
    parser.add_argument('--out', help='path under data_root; default proposals/<config>_<split>2017.pkl')
    parser.add_argument('--work-dir')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none')
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config)
        if cfg.model.type != 'RPN':
            raise ConfigError(f'{args.config} is a {cfg.model.type}, not an RPN config')
        if not osp.isfile(args.checkpoint):
            raise ConfigError(f'checkpoint {args.checkpoint!r} does not exist')
    except ConfigError as err:
        sys.exit(f'error: {err}')
    cfg.launcher = args.launcher
    setup_work_dir(cfg, args.config, args.work_dir)
    cfg.load_from = args.checkpoint
    dataset = cfg.test_dataloader.dataset
    if args.split == 'train':  # the training images, through the test pipeline
        train = cfg.train_dataloader.dataset
        while 'dataset' in train:  # wrappers such as RepeatDataset
            train = train.dataset
        for key in ('data_root', 'ann_file', 'data_prefix'):
            dataset[key] = train[key]
    # Default name: <rpn config>_<image folder>.pkl, e.g. ..._train2017.pkl on COCO.
    name = osp.splitext(osp.basename(args.config))[0]
    out = args.out or f'proposals/{name}_{dataset.data_prefix["img"].strip("/")}.pkl'
    dump = dict(type='DumpProposals', output_dir=osp.join(dataset.data_root, osp.dirname(out)),
                proposals_file=osp.basename(out), num_max_proposals=None)
    if args.split == 'train':
        cfg.test_evaluator = [dump]
    else:
        evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [cfg.test_evaluator]
        cfg.test_evaluator = [dump, *evaluators]
    prepare_distributed(cfg)
    Runner.from_cfg(cfg).test()


if __name__ == '__main__':
    main()
