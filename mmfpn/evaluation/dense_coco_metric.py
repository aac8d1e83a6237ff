"""COCO box evaluation of images with more objects than COCO's 100 detections.

``pycocotools``' ``COCOeval.summarize`` computes the headline AP at ``maxDets=100``
whatever ``params.maxDets`` says (its AP_50, AP_75, AP_s/m/l use ``maxDets[2]``). An
image with 140 objects (a whole aerial mosaic) is then scored on its 100 best boxes in
the headline AP only. :class:`DenseCocoMetric` is mmdet's ``CocoMetric`` with every AP
at the largest of ``proposal_nums`` (AR as before: one per ``proposal_nums``), the
numbers in the log labelled with the ``maxDets`` they used. On images with at most
100 detections it gives ``CocoMetric``'s numbers.
"""
from unittest import mock

import numpy as np
from mmdet.evaluation import CocoMetric
from mmdet.evaluation.metrics import coco_metric
from mmdet.registry import METRICS
from pycocotools.cocoeval import COCOeval


class DenseCOCOeval(COCOeval):
    """``COCOeval`` whose box summary takes every AP at ``params.maxDets[-1]``."""

    def summarize(self) -> None:
        if self.params.iouType not in ('bbox', 'segm'):
            return super().summarize()
        dets = list(self.params.maxDets)
        most = dets[-1]
        rows = [(1, None, 'all', most), (1, .5, 'all', most), (1, .75, 'all', most),
                (1, None, 'small', most), (1, None, 'medium', most), (1, None, 'large', most),
                *((0, None, 'all', d) for d in dets),
                (0, None, 'small', most), (0, None, 'medium', most), (0, None, 'large', most)]
        self.stats = np.array([self._mean(*row) for row in rows])

    def _mean(self, ap: int, iou, area: str, max_dets: int) -> float:
        p = self.params
        a = p.areaRngLbl.index(area)
        m = list(p.maxDets).index(max_dets)
        values = self.eval['precision'][..., a, m] if ap else self.eval['recall'][..., a, m]
        if iou is not None:
            values = values[np.where(np.isclose(p.iouThrs, iou))[0]]
        kept = values[values > -1]
        mean = float(np.mean(kept)) if kept.size else -1.0
        what = 'Average Precision  (AP)' if ap else 'Average Recall     (AR)'
        ious = f'{p.iouThrs[0]:0.2f}:{p.iouThrs[-1]:0.2f}' if iou is None else f'{iou:0.2f}'
        print(f' {what} @[ IoU={ious:<9} | area={area:>6s} | maxDets={max_dets:>4d} ] = {mean:0.3f}')
        return mean


@METRICS.register_module()
class DenseCocoMetric(CocoMetric):
    """mmdet's ``CocoMetric``, every AP at ``proposal_nums[-1]`` detections per image
    (:class:`DenseCOCOeval`); ``tools/test.py --slice`` evaluates with it."""

    def compute_metrics(self, results: list) -> dict:
        if self.use_mp_eval:
            raise ValueError('DenseCocoMetric evaluates in one process: use_mp_eval=False')
        with mock.patch.object(coco_metric, 'COCOeval', DenseCOCOeval):
            return super().compute_metrics(results)
