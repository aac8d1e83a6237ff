"""Class-agnostic mask-proposal recall: COCO ``segm`` AR@k and AR_s/m/l (Table 6).

mmdet's ``CocoMetric`` evaluates proposals as boxes only (``metric='proposal'``);
this is the same evaluation on masks: pycocotools' ``COCOeval`` with ``iouType
'segm'``, ``useCats = 0`` and ``maxDets = proposal_nums``. The keys match mmdet's
proposal keys (``AR@100``, ``AR@1000``, ``AR_s@1000``...), so the tools that read
box-proposal logs read these too.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
import pycocotools.mask as mask_util
from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.fileio import get_local_path
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


@METRICS.register_module()
class SegmProposalMetric(BaseMetric):
    """AR of class-agnostic mask proposals at each of ``proposal_nums``.

    Predictions need ``pred_instances.masks`` (COCO RLE dicts or ``(N, H, W)``
    arrays in the original image) and ``pred_instances.scores``.

    Args:
        ann_file: COCO annotations with ``segmentation`` for every object.
        proposal_nums: The ``k`` of AR@k; the size groups use the largest.
    """
    default_prefix: Optional[str] = 'coco'

    def __init__(self, ann_file: str, proposal_nums: Sequence[int] = (100, 300, 1000),
                 collect_device: str = 'cpu', prefix: Optional[str] = None, **kwargs) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if len(proposal_nums) != 3:
            raise ValueError(f'proposal_nums={tuple(proposal_nums)!r}: COCOeval summarises '
                             'exactly three maxDets, e.g. (100, 300, 1000)')
        self.ann_file = ann_file
        self.proposal_nums = tuple(proposal_nums)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred = sample['pred_instances']
            masks = pred['masks']
            if not isinstance(masks, list):
                arr = np.asfortranarray(np.asarray(masks.cpu() if hasattr(masks, 'cpu')
                                                   else masks, dtype=np.uint8).transpose(1, 2, 0))
                masks = mask_util.encode(arr)
            scores = pred['scores'].cpu().numpy() if hasattr(pred['scores'], 'cpu') \
                else np.asarray(pred['scores'])
            self.results.append(dict(img_id=sample['img_id'], masks=masks,
                                     scores=scores.tolist()))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        with get_local_path(self.ann_file) as local:
            coco_gt = COCO(local)
        missing = [a['id'] for a in coco_gt.dataset['annotations'] if not a.get('segmentation')]
        if missing:
            raise ValueError(f'{self.ann_file}: {len(missing)} annotations have no '
                             f'"segmentation" (first: id {missing[0]}); mask recall needs a '
                             'mask for every object')
        category = coco_gt.getCatIds()[0]
        dets = [dict(image_id=r['img_id'], category_id=category, score=score,
                     segmentation=dict(m, counts=m['counts'] if isinstance(m['counts'], str)
                                       else m['counts'].decode('ascii')))
                for r in results for m, score in zip(r['masks'], r['scores'])]
        largest = self.proposal_nums[-1]
        keys = [f'AR@{k}' for k in self.proposal_nums] + [f'AR_{g}@{largest}' for g in 'sml']
        if not dets:
            return dict.fromkeys(keys, 0.0)
        coco_dt = coco_gt.loadRes(dets)
        evaluator = COCOeval(coco_gt, coco_dt, 'segm')
        evaluator.params.imgIds = [r['img_id'] for r in results]
        evaluator.params.useCats = 0
        evaluator.params.maxDets = list(self.proposal_nums)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
        return {key: float(value) for key, value in zip(keys, evaluator.stats[6:12])}
