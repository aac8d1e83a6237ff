"""``--slice``: the options of sliced inference and the configs that run it.

``tools/infer.py --slice`` wraps the loaded detector; ``tools/test.py --slice``
rewrites the config (:func:`use_sliced_evaluation`): the detector inside
:class:`~mmfpn.models.detectors.SlicedInference`, the test images loaded at their own
size, and COCO evaluation with ``maxDets`` that fit dense images.
"""
import argparse
from dataclasses import dataclass
from typing import Dict, List, Optional

from mmengine.config import Config

from mmfpn.config.load import ConfigError, innermost_dataset, test_evaluators
from mmfpn.config.registered import type_name
from mmfpn.evaluation import DenseCocoMetric
from mmfpn.models.detectors.sliced import (LOADING, MAX_PER_IMG, SlicedInference,
                                           check_slice_args, window_pipeline)
from mmfpn.models.task_modules.window_merge import MERGE_METHODS

#: ``maxDets`` of COCO evaluation below the cap (mmdet's ``proposal_nums`` defaults).
COCO_MAX_DETS = (100, 300)
#: The metrics a sliced evaluation logs: box AP by size and the recall at the cap.
SLICED_METRIC_ITEMS = ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l', 'AR@1000')


@dataclass(frozen=True)
class SliceOptions:
    """The ``--slice SIZE [--overlap F] [--slice-batch N] [--merge M] [--whole-image]
    [--max-per-window N] [--max-dets N]`` flags (:class:`SlicedInference`'s arguments)."""
    size: int
    overlap: float = 0.25
    batch: int = 4
    merge: str = 'join'
    whole_image: bool = False
    max_per_window: Optional[int] = None
    max_dets: int = MAX_PER_IMG

    def check(self) -> None:
        """Raises ConfigError naming a bad value (before a model is loaded)."""
        try:
            check_slice_args(self.size, self.overlap, self.batch, self.merge,
                             self.max_per_window, self.max_dets)
        except ValueError as err:
            raise ConfigError(str(err)) from err

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Optional['SliceOptions']:
        """The options of :func:`add_slice_arguments`' flags; None without ``--slice``."""
        if args.slice is None:
            return None
        return cls(args.slice, args.overlap, args.slice_batch, args.merge, args.whole_image,
                   args.max_per_window, args.max_dets)

    def model_args(self) -> Dict:
        return dict(slice_size=self.size, overlap=self.overlap, batch_size=self.batch,
                    merge=self.merge, whole_image=self.whole_image,
                    max_per_window=self.max_per_window, max_per_img=self.max_dets)


def add_slice_arguments(parser: argparse.ArgumentParser) -> None:
    """The sliced-inference flags of ``tools/infer.py`` and ``tools/test.py``."""
    group = parser.add_argument_group('sliced inference (large images)')
    group.add_argument('--slice', type=int, metavar='SIZE',
                       help='detect on overlapping SIZE px windows of each image at its own '
                            "size (the side of the model's training tiles), then merge")
    group.add_argument('--overlap', type=float, default=SliceOptions.overlap,
                       help='with --slice: overlap of neighbouring windows, a fraction in [0, 1)')
    group.add_argument('--slice-batch', type=int, default=SliceOptions.batch, metavar='N',
                       help='with --slice: windows per forward pass (memory grows with it)')
    group.add_argument('--merge', choices=MERGE_METHODS, default=SliceOptions.merge,
                       help="with --slice: 'join' a box cut by a window edge with its other "
                            "part (or drop it for the whole view) before NMS, or 'nms' alone")
    group.add_argument('--whole-image', action='store_true',
                       help="with --slice: add the whole image at the config's scale "
                            '(objects larger than a window)')
    group.add_argument('--max-per-window', type=int, metavar='N',
                       help="with --slice: boxes kept per window (default: the config's "
                            'max_per_img)')
    group.add_argument('--max-dets', type=int, default=SliceOptions.max_dets, metavar='N',
                       help='with --slice: boxes kept per image after merging, and COCO '
                            "evaluation's largest maxDets")


def sliced_pipeline(cfg: Config) -> List[Dict]:
    """The transforms each window runs: the config's test pipeline without loading."""
    try:
        return window_pipeline(innermost_dataset(cfg.test_dataloader.dataset).pipeline)
    except ValueError as err:
        raise ConfigError(str(err)) from err


def use_sliced_evaluation(cfg: Config, options: SliceOptions) -> str:
    """Make ``cfg`` (modified in place) test by sliced inference; the line that states
    the evaluation's ``maxDets``.

    The test images are loaded at their own size (the loading transforms of the test
    pipeline, then ``PackDetInputs``); each window runs the rest of the pipeline; every
    ``CocoMetric`` evaluates with ``maxDets`` ``(100, 300, max_dets)``.
    """
    options.check()
    dataset = innermost_dataset(cfg.test_dataloader.dataset)
    cfg.model = dict(type=SlicedInference.__name__, module=cfg.model,
                     window_pipeline=sliced_pipeline(cfg), **options.model_args())
    loading = [t for t in dataset.pipeline if type_name(t['type']) in LOADING]
    dataset.pipeline = [*loading, dict(type='PackDetInputs',
                                       meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape'))]
    max_dets = (*COCO_MAX_DETS, options.max_dets)
    for evaluator in test_evaluators(cfg):
        if type_name(evaluator['type']) in ('CocoMetric', DenseCocoMetric.__name__):
            evaluator.update(type=DenseCocoMetric.__name__, proposal_nums=max_dets)
            if evaluator.get('metric', 'bbox') in ('bbox', ['bbox']):
                evaluator.setdefault('metric_items', list(SLICED_METRIC_ITEMS))
    return (f'sliced evaluation: {options.size} px windows, overlap {options.overlap}, merge '
            f'{options.merge!r}; COCO maxDets {max_dets} (DenseCocoMetric): every AP and '
            f'"AR@1000" count up to {options.max_dets} detections per image')
