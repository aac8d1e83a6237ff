"""``tools/eval_large_images.py``: a tile-trained detector evaluated on its tiles, on
whole images at the config's scale, and by sliced inference, on one checkpoint.

Each mode is ``tools/test.py``'s evaluation (:func:`~mmfpn.apis.test.evaluation_config`)
run in-process; its seconds cover the test loop (loading, inference, merging), and are
divided by the megapixels of the images it saw.
"""
import json
import os.path as osp
import time
from typing import Dict, List, Optional

from mmfpn.apis.runner import build_runner
from mmfpn.apis.slicing import COCO_MAX_DETS, SLICED_METRIC_ITEMS, SliceOptions
from mmfpn.apis.test import evaluation_config
from mmfpn.config.load import innermost_dataset, load_config
from mmfpn.models.detectors.sliced import MAX_PER_IMG

#: Every mode's evaluator: AP counted up to 1000 boxes per image (whole images hold
#: more than COCO's 100), the metrics of :data:`SLICED_METRIC_ITEMS`.
DENSE_EVALUATOR = {'test_evaluator.type': 'DenseCocoMetric',
                   'test_evaluator.proposal_nums': (*COCO_MAX_DETS, MAX_PER_IMG),
                   'test_evaluator.metric_items': list(SLICED_METRIC_ITEMS)}
#: The metrics reported per mode (``CocoMetric`` keys without ``coco/``).
REPORTED = ('bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_s', 'bbox_mAP_m', 'bbox_mAP_l', 'bbox_AR@1000')


def whole_set_options(config: str, ann_file: str, img_prefix: str) -> Dict[str, object]:
    """``--cfg-options`` that test ``config`` on another COCO set under its data root,
    evaluated as sliced evaluation does (:data:`DENSE_EVALUATOR`)."""
    data_root = innermost_dataset(load_config(config).test_dataloader.dataset).get('data_root', '')
    return {'test_dataloader.dataset.ann_file': ann_file,
            'test_dataloader.dataset.data_prefix.img': img_prefix,
            'test_evaluator.ann_file': osp.join(data_root, ann_file), **DENSE_EVALUATOR}


def megapixels(config: str, cfg_options: Dict[str, object]) -> float:
    """The megapixels of the test set ``config`` with ``cfg_options`` reads."""
    cfg = load_config(config, cfg_options)
    dataset = innermost_dataset(cfg.test_dataloader.dataset)
    with open(osp.join(dataset.get('data_root', ''), dataset.ann_file)) as f:
        images = json.load(f)['images']
    return sum(im['width'] * im['height'] for im in images) / 1e6


def evaluate_mode(config: str, checkpoint: str, work_dir: str, cfg_options: Dict[str, object],
                  slicing: Optional[SliceOptions] = None) -> Dict[str, float]:
    """One evaluation: the :data:`REPORTED` metrics (x100), ``s/MP`` and ``seconds``."""
    cfg = evaluation_config(config, checkpoint, work_dir, cfg_options=dict(cfg_options),
                            slicing=slicing)
    runner = build_runner(cfg)
    start = time.perf_counter()
    metrics = runner.test()
    seconds = time.perf_counter() - start
    row = {k: round(100 * metrics[f'coco/{k}'], 1) for k in REPORTED if f'coco/{k}' in metrics}
    return dict(row, seconds=round(seconds, 1),
                **{'s/MP': round(seconds / megapixels(config, cfg_options), 2)})


def compare_modes(config: str, checkpoint: str, work_dir: str, whole_ann: str, whole_img: str,
                  slice_size: int, overlap: float = SliceOptions.overlap,
                  merges: List[str] = ('nms', 'join')) -> Dict[str, Dict[str, float]]:
    """Mode -> metrics: ``tiles`` (the config's own test set), ``whole`` (the whole
    images at the config's scale, ``max_per_img`` raised to the sliced cap so that
    dense images are not cut at 100), and ``sliced-<merge>`` for each merge."""
    whole = whole_set_options(config, whole_ann, whole_img)
    modes = {'tiles': evaluate_mode(config, checkpoint, osp.join(work_dir, 'tiles'),
                                    DENSE_EVALUATOR)}
    dense = dict(whole, **{'model.test_cfg.rcnn.max_per_img': MAX_PER_IMG})
    modes['whole'] = evaluate_mode(config, checkpoint, osp.join(work_dir, 'whole'), dense)
    for merge in merges:
        modes[f'sliced-{merge}'] = evaluate_mode(
            config, checkpoint, osp.join(work_dir, f'sliced-{merge}'), whole,
            SliceOptions(slice_size, overlap, merge=merge))
    return modes
