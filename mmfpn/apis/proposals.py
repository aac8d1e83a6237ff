"""``tools/dump_proposals.py``: an RPN's proposals for Fast R-CNN on fixed proposals
(Table 2 / Table 3)."""
import os.path as osp
from typing import Optional

from mmengine.config import Config

from mmfpn.apis.runner import build_runner
from mmfpn.config.load import ConfigError, innermost_dataset, load_config, setup_work_dir


def proposals_config(config: str, checkpoint: str, split: str, out: Optional[str] = None,
                     work_dir: Optional[str] = None, launcher: str = 'none') -> Config:
    """A test config that runs the RPN of ``config`` over ``split`` and dumps mmdet's
    proposal pickle.

    The file goes under the dataset root, by default
    ``proposals/<rpn config>_<image folder>.pkl`` (``..._train2017.pkl`` on COCO,
    ``..._train.pkl`` on tiny), where ``configs/_base_/datasets/coco_proposals.py``
    and ``tiny_proposals.py`` read it. On ``'val'`` the config's evaluator (AR)
    runs too.

    Raises:
        ConfigError: not an RPN config, a missing checkpoint, or an unknown split.
    """
    if split not in ('train', 'val'):
        raise ConfigError(f"split={split!r}; choose 'train' or 'val'")
    cfg = load_config(config)
    if cfg.model.type != 'RPN':
        raise ConfigError(f'{config} is a {cfg.model.type}, not an RPN config')
    if not osp.isfile(checkpoint):
        raise ConfigError(f'checkpoint {checkpoint!r} does not exist')
    cfg.launcher = launcher
    setup_work_dir(cfg, config, work_dir)
    cfg.load_from = checkpoint
    dataset = cfg.test_dataloader.dataset
    if split == 'train':  # the training images, through the test pipeline
        train = innermost_dataset(cfg.train_dataloader.dataset)
        for key in ('data_root', 'ann_file', 'data_prefix'):
            dataset[key] = train[key]
    name = osp.splitext(osp.basename(config))[0]
    out = out or f'proposals/{name}_{dataset.data_prefix["img"].strip("/")}.pkl'
    dump = dict(type='DumpProposals', output_dir=osp.join(dataset.data_root, osp.dirname(out)),
                proposals_file=osp.basename(out), num_max_proposals=None)
    if split == 'train':
        cfg.test_evaluator = [dump]
    else:
        evaluators = (cfg.test_evaluator if isinstance(cfg.test_evaluator, list)
                      else [cfg.test_evaluator])
        cfg.test_evaluator = [dump, *evaluators]
    return cfg


def dump_proposals(cfg: Config) -> None:
    """Run the RPN of a config from :func:`proposals_config`."""
    build_runner(cfg).test()
