"""``tools/infer.py``: mmdet's ``DetInferencer`` with mmfpn loaded."""
import os.path as osp
from typing import List, Sequence

from mmdet.apis import DetInferencer

from mmfpn.config.load import ConfigError


def infer(config: str, checkpoint: str, images: Sequence[str], out_dir: str = 'outputs',
          score_thr: float = 0.3, device: str = 'cpu') -> List[int]:
    """Detect objects in ``images``; writes ``out_dir/vis/<image>`` (boxes drawn) and
    ``out_dir/preds/<image>.json`` (labels, scores, boxes in image pixels), as mmdet's
    ``demo/image_demo.py`` does.

    Returns:
        The number of detections with score >= ``score_thr`` per image.

    Raises:
        ConfigError: the config, checkpoint or an image does not exist.
    """
    for path in [config, checkpoint, *images]:
        if not osp.isfile(path):
            raise ConfigError(f'{path!r} does not exist')
    inferencer = DetInferencer(model=config, weights=checkpoint, device=device,
                               show_progress=False)
    results = inferencer(list(images), out_dir=out_dir, no_save_pred=False,
                         pred_score_thr=score_thr)
    return [sum(score >= score_thr for score in pred['scores'])
            for pred in results['predictions']]
