"""``tools/infer.py``: mmdet's ``DetInferencer`` with mmfpn loaded, optionally on the
fast path and by sliced inference (large images)."""
import os.path as osp
from typing import List, Optional, Sequence

import cv2
from mmdet.apis import DetInferencer
from mmengine.dataset import Compose

from mmfpn.apis.slicing import SliceOptions, sliced_pipeline
from mmfpn.apis.test import check_fast_flags
from mmfpn.config.load import ConfigError
from mmfpn.deploy.fast_hook import apply_fast_path
from mmfpn.models.detectors.sliced import SlicedInference


def infer(config: str, checkpoint: str, images: Sequence[str], out_dir: str = 'outputs',
          score_thr: float = 0.3, device: str = 'cpu', fast: bool = False, bf16: bool = False,
          backend: str = 'torch', ir: Optional[str] = None,
          slicing: Optional[SliceOptions] = None, draw: bool = True) -> List[int]:
    """Detect objects in ``images``; writes ``out_dir/vis/<image>`` (boxes drawn) and
    ``out_dir/preds/<image>.json`` (labels, scores, boxes in image pixels), as mmdet's
    ``demo/image_demo.py`` does.

    Args:
        fast, bf16, backend, ir: The fast path, as ``tools/test.py``'s
            (:func:`~mmfpn.deploy.fast_hook.apply_fast_path`).
        slicing: Detect on windows of each image at its own size, merged
            (:class:`~mmfpn.models.detectors.SlicedInference`); a progress bar per image.
        draw: Write ``out_dir/vis`` (mmdet's visualizer draws at the image's size:
            on a 10000x10000 image that takes most of the memory and a minute).

    Returns:
        The number of detections with score >= ``score_thr`` per image.

    Raises:
        ConfigError: the config, checkpoint or an image does not exist, an image is
            not one OpenCV reads, or a flag cannot work (before the model loads).
    """
    for path in [config, checkpoint, *images]:
        if not osp.isfile(path):
            raise ConfigError(f'{path!r} does not exist')
    for path in images:
        if not cv2.haveImageReader(path):
            raise ConfigError(f'{path!r} is not an image OpenCV can read (PNG, JPEG, TIFF, ...)')
    check_fast_flags(fast, bf16, backend, ir)
    if slicing is not None:
        slicing.check()
    inferencer = DetInferencer(model=config, weights=checkpoint, device=device,
                               show_progress=False)
    if fast:
        apply_fast_path(inferencer.model, bf16, backend, ir)
    if slicing is not None:
        _use_slicing(inferencer, slicing)
    results = inferencer(list(images), out_dir=out_dir, no_save_pred=False,
                         no_save_vis=not draw, pred_score_thr=score_thr)
    return [sum(score >= score_thr for score in pred['scores'])
            for pred in results['predictions']]


def _use_slicing(inferencer: DetInferencer, options: SliceOptions) -> None:
    """The inferencer loads each image at its own size and runs sliced inference."""
    model = SlicedInference(inferencer.model, sliced_pipeline(inferencer.cfg), progress=True,
                            **options.model_args())
    model.dataset_meta = inferencer.model.dataset_meta
    inferencer.model = model
    inferencer.pipeline = Compose([
        dict(type='mmdet.InferencerLoader'),
        dict(type='mmdet.PackDetInputs', meta_keys=('img_path', 'ori_shape', 'img_shape'))])
