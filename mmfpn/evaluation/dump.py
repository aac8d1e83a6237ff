"""``tools/test.py --out`` for models whose masks are already COCO RLE."""
from typing import Sequence

from mmdet.evaluation.metrics import DumpDetResults
from mmdet.registry import METRICS


@METRICS.register_module()
class DumpRLEDetResults(DumpDetResults):
    """mmdet's ``DumpDetResults``, which RLE-encodes ``(N, H, W)`` mask tensors, that
    also takes masks already encoded: a list of COCO RLE dicts, as
    :class:`~mmfpn.models.FPNSegmentProposalHead` returns them (a thousand full-size
    bitmaps per image would not fit in memory). Those are dumped as they are."""

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        encoded, plain = [], []
        for sample in data_samples:
            pred = sample.get('pred_instances', {})
            masks = pred.get('masks')
            encoded.append(masks if isinstance(masks, list) else None)
            if isinstance(masks, list):
                sample = dict(sample, pred_instances={k: v for k, v in pred.items()
                                                      if k != 'masks'})
            plain.append(sample)
        super().process(data_batch, plain)
        for record, masks in zip(self.results[len(self.results) - len(plain):], encoded):
            if masks is not None:
                record['pred_instances']['masks'] = masks
