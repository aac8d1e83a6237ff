"""Sliced inference: a detector run on overlapping windows of a large image.

A detector trained on tiles sees a large image (an aerial mosaic, a slide) the way it
was trained only when the image is cut into windows of the training tiles' size: given
whole, the image is resized to the config's scale and small objects shrink below the
finest anchor. :class:`SlicedInference` wraps any box detector of mmdet (a config's
``model``) like mmdet's test-time-augmentation wrapper does:

1. the image, loaded at its own size, is cut into windows of ``slice_size`` px
   overlapping by ``overlap`` of a window (:func:`~mmfpn.models.task_modules.windows.window_grid`:
   the last row and column shifted back to end at the image's edge);
2. each window goes through the config's test transforms (``window_pipeline``: its
   resize included, as a training tile did) and the detector, ``batch_size`` windows
   at a time, so memory is bounded by the batch, not the image;
3. the boxes are shifted back to image coordinates and merged across windows
   (:mod:`~mmfpn.models.task_modules.window_merge`: ``'nms'`` or ``'join'``);
   ``whole_image=True`` adds the detections of the whole image at the config's scale,
   for objects larger than a window.

Dense scenes: each window keeps ``max_per_window`` boxes (default: the detector's
``max_per_img``) and the image ``max_per_img`` after merging; a window or an image that
reaches its cap is reported in the log (the image's objects may be more than kept).
"""
import math
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.dataset import Compose, pseudo_collate
from mmengine.logging import print_log
from mmengine.model import BaseTTAModel
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData
from mmengine.utils import ProgressBar
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from torch import Tensor, nn

from mmfpn.models.task_modules.window_merge import MERGE_METHODS, Detections, merge_windows
from mmfpn.models.task_modules.windows import window_grid

#: Cap of detections per image after merging (COCO's largest maxDets), unless set.
MAX_PER_IMG = 1000
#: Test transforms that load data: the windows are cut from the loaded image instead.
LOADING = ('LoadImageFromFile', 'InferencerLoader', 'LoadImageFromNDArray', 'LoadAnnotations')
#: Transforms that cannot run on a window: sliced inference refuses configs with them.
NOT_SLICEABLE = ('LoadProposals', 'MultiScaleFlipAug', 'TestTimeAug')


def check_slice_args(slice_size: int, overlap: float, batch_size: int, merge: str,
                     max_per_window: Optional[int], max_per_img: int) -> None:
    """Raises ValueError naming the bad value and what to give instead."""
    if not isinstance(slice_size, int) or slice_size < 1:
        raise ValueError(f'slice size must be a positive number of pixels, got {slice_size!r}; '
                         "give the side of the model's training tiles, e.g. --slice 400")
    if not 0 <= overlap < 1:
        raise ValueError(f'overlap must be a fraction of a window in [0, 1), got {overlap!r}, '
                         'e.g. --overlap 0.25')
    if batch_size < 1:
        raise ValueError(f'windows per batch must be >= 1, got {batch_size!r}')
    if merge not in MERGE_METHODS:
        raise ValueError(f'merge must be one of {MERGE_METHODS}, got {merge!r}')
    for name, cap in (('max_per_window', max_per_window), ('max_per_img', max_per_img)):
        if cap is not None and cap < 1:
            raise ValueError(f'{name} must be >= 1, got {cap!r}')


def window_pipeline(test_pipeline: Sequence[Dict]) -> List[Dict]:
    """The config's test transforms that run on a window: all but the loading ones.

    Raises:
        ValueError: a transform that needs more than a window (precomputed proposals,
            test-time augmentation) is in the pipeline.
    """
    types = [str(t['type']).rsplit('.', 1)[-1] for t in test_pipeline]
    refused = [t for t in types if t in NOT_SLICEABLE]
    if refused:
        raise ValueError(f'sliced inference cannot run a test pipeline with {refused}: it '
                         'needs a detector that proposes its own boxes on an image, '
                         'without test-time augmentation')
    return [dict(t) for t, name in zip(test_pipeline, types) if name not in LOADING]


def output_test_cfg(detector: nn.Module):
    """The test settings (``max_per_img``, ``nms``) of the detector's last stage."""
    for head in ('roi_head', 'rpn_head', 'bbox_head'):
        module = getattr(detector, head, None)
        if module is not None and getattr(module, 'test_cfg', None) is not None:
            if head != 'rpn_head' or getattr(detector, 'roi_head', None) is None:
                return module.test_cfg
    raise ValueError(f'{type(detector).__name__} has no roi_head, rpn_head or bbox_head with '
                     'a test_cfg: sliced inference needs a box detector of mmdet')


@MODELS.register_module()
class SlicedInference(BaseTTAModel):
    """Sliced inference of ``module`` on large images (see the module docstring).

    Args:
        module: The detector (a config dict or a built ``nn.Module``).
        window_pipeline: Transforms run on each window (:func:`window_pipeline` of
            the config's test pipeline).
        slice_size: Window side in the image's pixels.
        overlap: Overlap of neighbouring windows, a fraction of ``slice_size``.
        batch_size: Windows per forward pass.
        merge: ``'nms'`` or ``'join'`` (:func:`merge_windows`).
        whole_image: Also detect on the whole image at the config's scale.
        max_per_window: Boxes kept per window (default: the detector's ``max_per_img``).
        max_per_img: Boxes kept per image after merging.
        progress: Show a progress bar over each image's windows.
    """

    def __init__(self, module, window_pipeline: Sequence[Dict], slice_size: int,
                 overlap: float = 0.25, batch_size: int = 4, merge: str = 'join',
                 whole_image: bool = False, max_per_window: Optional[int] = None,
                 max_per_img: int = MAX_PER_IMG, progress: bool = False) -> None:
        check_slice_args(slice_size, overlap, batch_size, merge, max_per_window, max_per_img)
        super().__init__(module)
        if getattr(self.module, 'with_mask', False):
            raise ValueError('sliced inference merges boxes; the masks of '
                             f'{type(self.module).__name__} are not merged: test it whole')
        self.test_cfg = output_test_cfg(self.module)
        if max_per_window is not None:
            self.test_cfg.max_per_img = max_per_window
        with DefaultScope.overwrite_default_scope('mmdet'):
            self.window_pipeline = Compose(list(window_pipeline))
        self.slice_size, self.overlap = slice_size, overlap
        self.batch_size, self.merge, self.whole_image = batch_size, merge, whole_image
        self.max_per_img, self.progress = max_per_img, progress

    @property
    def overlap_px(self) -> int:
        """Overlap of neighbouring windows in pixels (< ``slice_size``: overlap < 1)."""
        return math.floor(self.overlap * self.slice_size)

    def test_step(self, data: Dict) -> List[DetDataSample]:
        """``data['inputs']``: images ``(3, H, W)`` uint8 at their own size (the loaded
        image, not resized); returns their data samples with ``pred_instances`` in
        image pixels."""
        return [self.predict_image(image, sample)
                for image, sample in zip(data['inputs'], data['data_samples'])]

    def predict_image(self, image: Tensor, sample: DetDataSample) -> DetDataSample:
        """One image ``(3, H, W)``: windows, detector, merge."""
        height, width = image.shape[-2:]
        windows = window_grid(width, height, self.slice_size, self.overlap_px)
        if len(windows) == 1 and max(height, width) < self.slice_size:
            print_log(f'{_name(sample)}: {width}x{height} is smaller than the {self.slice_size} px '
                      'window: one window, the whole image', logger='current')
        views = list(enumerate(windows))
        if self.whole_image:
            views.append((-1, (0, 0, width, height)))
        found, capped = [], 0
        bar = ProgressBar(len(views)) if self.progress else None
        for start in range(0, len(views), self.batch_size):
            batch = views[start:start + self.batch_size]
            inputs = [self.window_pipeline(_window_results(image, w)) for _, w in batch]
            for (index, (x0, y0, _, _)), out in zip(batch, self.module.test_step(
                    pseudo_collate(inputs))):
                pred = out.pred_instances
                capped += index >= 0 and len(pred) >= self.test_cfg.max_per_img
                shift = pred.bboxes.new_tensor([x0, y0, x0, y0])
                found.append(Detections(pred.bboxes + shift, pred.scores, pred.labels,
                                        torch.full_like(pred.labels, index)))
            if bar is not None:
                bar.update(len(batch))
        dets = merge_windows(Detections(*(torch.cat(t) for t in zip(*found))), windows, width,
                             height, self.merge, self.test_cfg.nms.iou_threshold)
        self._report_caps(sample, capped, len(windows), len(dets.scores))
        keep = slice(0, self.max_per_img)
        sample.pred_instances = InstanceData(bboxes=dets.bboxes[keep], scores=dets.scores[keep],
                                             labels=dets.labels[keep])
        return sample

    def _report_caps(self, sample: DetDataSample, capped: int, windows: int, merged: int) -> None:
        if capped:
            print_log(f'{_name(sample)}: {capped} of {windows} windows reached '
                      f'max_per_window={self.test_cfg.max_per_img} detections; objects may be '
                      'missing: raise it (--max-per-window) or use smaller windows',
                      logger='current', level=30)
        if merged > self.max_per_img:
            print_log(f'{_name(sample)}: {merged} detections after merging, kept the best '
                      f'max_per_img={self.max_per_img}: raise it (--max-dets) to keep more',
                      logger='current', level=30)

    def merge_preds(self, data_samples_list):
        """Unused: windows are merged inside :meth:`predict_image`."""
        raise NotImplementedError('SlicedInference merges windows in test_step')


def _window_results(image: Tensor, window) -> Dict:
    """The transform input of one window, as ``LoadImageFromNDArray`` gives it."""
    x0, y0, x1, y1 = window
    crop = np.ascontiguousarray(image[:, y0:y1, x0:x1].permute(1, 2, 0).numpy())
    return dict(img=crop, img_shape=crop.shape[:2], ori_shape=crop.shape[:2])


def _name(sample: DetDataSample) -> str:
    return str(sample.metainfo.get('img_path', sample.metainfo.get('img_id', 'image')))
