"""``tools/train.py``: mmdet's training command line on mmengine's Runner."""
import os
from typing import Optional

from mmengine.config import Config

from mmfpn.apis.runner import build_runner
from mmfpn.config.load import ConfigError, load_config, set_loader_workers, setup_work_dir
from mmfpn.config.validate import check_model_config, check_pretrained_weights
from mmfpn.datasets.checks import check_data
from mmfpn.datasets.tiny import ensure_tiny_for
from mmfpn.engine.amp import use_mixed_precision
from mmfpn.engine.work_dir import is_complete_checkpoint, resume_checkpoint, work_dir_lock


def train_config(config: str, work_dir: Optional[str] = None, amp: bool = False,
                 auto_scale_lr: bool = False, resume: Optional[str] = None,
                 cfg_options: Optional[dict] = None, launcher: str = 'none',
                 workers: Optional[int] = None) -> Config:
    """The checked config ``tools/train.py`` hands to the Runner.

    Args:
        config: Config file path.
        work_dir: ``--work-dir`` (CLI > config > ``work_dirs/<config name>``).
        amp: ``--amp``: :class:`~mmfpn.engine.amp.MixedPrecisionOptimWrapper`.
        auto_scale_lr: ``--auto-scale-lr``: needs ``auto_scale_lr.base_batch_size``.
        resume: ``--resume``: ``'auto'`` (the work dir's latest complete checkpoint,
            :func:`~mmfpn.engine.work_dir.resume_checkpoint`) or a path.
        cfg_options: ``--cfg-options``.
        launcher: ``--launcher``.
        workers: ``--workers``: loader processes of every dataloader
            (:func:`~mmfpn.config.load.set_loader_workers`); the config's if None.

    Raises:
        ConfigError: anything that cannot work, before data or weights are touched
            (the model is built and checked, the data checked).
    """
    cfg = load_config(config, cfg_options)
    cfg.launcher = launcher
    setup_work_dir(cfg, config, work_dir)
    if workers is not None:
        set_loader_workers(cfg, workers)
    use_mixed_precision(cfg, amp)
    if auto_scale_lr:
        if not cfg.get('auto_scale_lr') or 'base_batch_size' not in cfg.auto_scale_lr:
            raise ConfigError('--auto-scale-lr needs auto_scale_lr.base_batch_size '
                              'in the config')
        cfg.auto_scale_lr.enable = True
    if resume == 'auto':
        checkpoint = resume_checkpoint(cfg.work_dir)
        cfg.resume, cfg.load_from = checkpoint is not None, checkpoint
    elif resume is not None:
        if not is_complete_checkpoint(resume):
            raise ConfigError(f'--resume {resume!r}: no such file or not a complete checkpoint; '
                              'give another, or --resume alone for the newest complete one '
                              'of the work dir')
        cfg.resume, cfg.load_from = True, resume
    check_model_config(cfg)
    check_pretrained_weights(cfg)
    ensure_tiny_for(cfg)
    check_data(cfg)
    return cfg


def train(cfg: Config) -> None:
    """Train with mmengine's Runner on a config from :func:`train_config`.

    The main process holds the work dir's lock for the run
    (:func:`~mmfpn.engine.work_dir.work_dir_lock`).

    Raises:
        ConfigError: another run holds the work dir.
        TrainingStopped: the run failed (a broken image mid-epoch, a full disk...);
            the message says where, and from which checkpoint to resume.
    """
    if int(os.environ.get('RANK', '0')) != 0:
        build_runner(cfg).train()
        return
    with work_dir_lock(cfg.work_dir):  # before the runner writes its logs into the dir
        runner = build_runner(cfg)
        try:
            runner.train()
        except Exception as err:
            raise TrainingStopped(runner, err) from err


class TrainingStopped(RuntimeError):
    """A run that failed mid-training, with where it stopped and what is safe.

    mmengine's traceback of an image that fails to decode in a dataloader worker
    names the file; this says at which epoch and iteration the run stopped, and
    which checkpoint ``--resume`` will continue from.
    """

    def __init__(self, runner, err: Exception) -> None:
        last = resume_checkpoint(runner.work_dir)
        cause = [line for line in str(err).strip().splitlines() if line.strip()]
        super().__init__(
            f'training stopped in epoch {runner.epoch + 1}, iteration {runner.iter + 1} '
            f'(the batch after {runner.iter} finished iterations): {type(err).__name__}: '
            f'{cause[-1] if cause else err!r}. '
            + (f'The last checkpoint, {last}, is complete: fix the cause and continue with '
               'tools/train.py CONFIG --resume.' if last else 'No checkpoint was written yet.'))
