"""``tools/test.py``: mmdet's evaluation command line on mmengine's Runner, with
mmfpn's fast path and OpenVINO backend."""
import copy
import os.path as osp
from typing import Optional

from mmengine.config import Config

from mmfpn.apis.runner import build_runner
from mmfpn.apis.slicing import SliceOptions, use_sliced_evaluation
from mmfpn.config.load import (ConfigError, innermost_dataset, load_config, set_loader_workers,
                               setup_work_dir, test_evaluators)
from mmfpn.config.validate import check_model_config
from mmfpn.datasets.checks import check_data
from mmfpn.datasets.tiny import ensure_tiny_for
from mmfpn.deploy.fast_hook import BACKENDS, FastInferenceHook
from mmfpn.deploy.openvino import import_openvino


def evaluation_config(config: str, checkpoint: str, work_dir: Optional[str] = None,
                out: Optional[str] = None, show: bool = False, show_dir: Optional[str] = None,
                wait_time: float = 2, fast: bool = False, bf16: bool = False,
                backend: str = 'torch', ir: Optional[str] = None, tta: bool = False,
                cfg_options: Optional[dict] = None, launcher: str = 'none',
                workers: Optional[int] = None,
                slicing: Optional[SliceOptions] = None) -> Config:
    """The checked config ``tools/test.py`` hands to the Runner.

    Args:
        config, checkpoint: The config file and the checkpoint to evaluate.
        work_dir: ``--work-dir``.
        out: ``--out``: dump predictions to this ``.pkl`` (mmdet's ``DumpDetResults``,
            extended to masks already in RLE: :class:`~mmfpn.evaluation.DumpRLEDetResults`).
        show, show_dir, wait_time: ``--show``, ``--show-dir``, ``--wait-time``.
        fast, bf16, backend, ir: The fast path (:class:`~mmfpn.deploy.fast_hook.FastInferenceHook`).
        tta: ``--tta``: mmdet's flip test-time augmentation (:func:`use_flip_tta`).
        cfg_options, launcher: ``--cfg-options``, ``--launcher``.
        workers: ``--workers`` (:func:`~mmfpn.config.load.set_loader_workers`).
        slicing: ``--slice ...``: sliced inference on the test images at their own size
            (:func:`~mmfpn.apis.slicing.use_sliced_evaluation`).

    Raises:
        ConfigError: a flag combination or file that cannot work, named with the fix.
    """
    if not osp.isfile(checkpoint):
        raise ConfigError(f'checkpoint {checkpoint!r} does not exist')
    cfg = load_config(config, cfg_options)
    cfg.launcher = launcher
    setup_work_dir(cfg, config, work_dir)
    if workers is not None:
        set_loader_workers(cfg, workers)
    cfg.load_from = checkpoint
    if out is not None:
        if not out.endswith(('.pkl', '.pickle')):
            raise ConfigError(f'--out must be a .pkl file, got {out!r}')
        cfg.test_evaluator = [*test_evaluators(cfg), dict(type='DumpRLEDetResults', out_file_path=out)]
    if show or show_dir:
        hook = cfg.default_hooks.get('visualization')
        if hook is None:
            raise ConfigError('--show/--show-dir need default_hooks.visualization '
                              "(type='DetVisualizationHook') in the config")
        hook.update(draw=True, show=show, wait_time=wait_time, test_out_dir=show_dir)
    check_model_config(cfg)
    check_fast_flags(fast, bf16, backend, ir)
    if tta and (fast or slicing):
        raise ConfigError(f'--tta and {"--fast" if fast else "--slice"} cannot be combined: '
                          "mmdet's flip augmentation wraps the detector itself")
    if tta:
        use_flip_tta(cfg)
    if slicing is not None:
        print(use_sliced_evaluation(cfg, slicing))
    if fast:
        cfg.custom_hooks = [*cfg.get('custom_hooks', []),
                            dict(type=FastInferenceHook.__name__, bf16=bf16, backend=backend,
                                 ir=ir)]
    ensure_tiny_for(cfg)
    check_data(cfg)
    return cfg


def check_fast_flags(fast: bool, bf16: bool, backend: str, ir: Optional[str]) -> None:
    """Raises ConfigError for ``--bf16 / --backend / --ir`` without what they need."""
    if backend not in BACKENDS:
        raise ConfigError(f'--backend must be one of {BACKENDS}, got {backend!r}')
    if bf16 and not fast:
        raise ConfigError('--bf16 is an option of the fast path: add --fast')
    if backend != 'torch' and not fast:
        raise ConfigError(f'--backend {backend} is an option of the fast path: add --fast')
    if ir is not None:
        if backend != 'openvino':
            raise ConfigError('--ir is an OpenVINO IR: add --fast --backend openvino')
        if not osp.isfile(ir):
            raise ConfigError(f'--ir {ir!r} does not exist; write it with '
                              'tools/export_openvino.py CONFIG CHECKPOINT OUT_DIR')
    if backend == 'openvino':
        try:
            import_openvino()
        except ImportError as err:
            raise ConfigError(str(err)) from err


def use_flip_tta(cfg: Config) -> None:
    """mmdet's ``tools/test.py --tta`` (modifies ``cfg``): test on each image and its
    horizontal flip, merged by mmdet's ``DetTTAModel`` (NMS at IoU 0.5, 100 boxes),
    unless the config sets its own ``tta_model`` / ``tta_pipeline``."""
    if 'tta_model' not in cfg:
        cfg.tta_model = dict(type='DetTTAModel', tta_cfg=dict(
            nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))
    dataset = innermost_dataset(cfg.test_dataloader.dataset)
    if 'tta_pipeline' not in cfg:
        pack = dict(type='PackDetInputs', meta_keys=(
            'img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
            'flip_direction'))
        cfg.tta_pipeline = [*copy.deepcopy(dataset.pipeline[:-1]), dict(
            type='TestTimeAug', transforms=[
                [dict(type='RandomFlip', prob=1.0), dict(type='RandomFlip', prob=0.0)],
                [pack]])]
    cfg.model = dict(**cfg.tta_model, module=cfg.model)
    dataset.pipeline = cfg.tta_pipeline


def evaluate(cfg: Config) -> None:
    """Evaluate with mmengine's Runner on a config from :func:`evaluation_config`."""
    build_runner(cfg).test()
