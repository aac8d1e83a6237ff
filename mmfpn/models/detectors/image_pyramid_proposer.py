"""The image-pyramid baseline of Table 6: one feature map, the image at many scales.

Paper: Sec. 6 compares FPN's segment proposals with DeepMask and SharpMask, which
apply one MLP to one backbone map and recover scale by running the network on an
image pyramid. This detector is that baseline built from the same parts: the
``FPNSegmentProposalHead`` on a single map (one stride, one window, with
``positive_octaves`` so that only objects near its canonical size are positives),
trained at one scale per image (the pipeline's random resize over the pyramid's
scales stands in for DeepMask's scale jitter) and tested on every scale of
``test_scales``, DeepMask's pyramid from 2^-2 to 2^1 in half octaves.
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.detectors import SingleStageDetector
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from torch import Tensor

#: DeepMask's test pyramid: scales 2^-2 .. 2^1, two per octave.
PYRAMID_SCALES = tuple(2**(k / 2) for k in range(-4, 3))


@MODELS.register_module()
class ImagePyramidSegmentProposer(SingleStageDetector):
    """Mask proposals of a single-map head over an image pyramid.

    Args:
        test_scales: Factors the network's input is resized by at test time; the
            best locations of every scale compete for the ``max_per_img`` proposals
            (no NMS across scales, as the head's default within one).
        *args, **kwargs: ``SingleStageDetector``'s; ``bbox_head`` must be an
            ``FPNSegmentProposalHead``.
    """

    def __init__(self, *args, test_scales: Sequence[float] = PYRAMID_SCALES, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not test_scales or min(test_scales) <= 0:
            raise ValueError(f'test_scales={tuple(test_scales)!r}: give positive resize '
                             'factors, e.g. 2 ** (k / 2) for k in range(-4, 3)')
        self.test_scales = tuple(test_scales)

    def predict(self, batch_inputs: Tensor, batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """``batch_inputs (B, 3, H, W)``: each image's ``max_per_img`` best masks over
        all scales, pasted in the original image when ``rescale``."""
        head = self.bbox_head
        found: List[List[Tuple[Tensor, Tensor, Tensor]]] = [[] for _ in batch_data_samples]
        for scale in self.test_scales:
            inputs = batch_inputs if scale == 1 else F.interpolate(
                batch_inputs, scale_factor=scale, mode='bilinear', align_corners=False)
            scores, masks = head(self.extract_feat(inputs))
            sizes = [s.shape[-2:] for s in scores]
            for i, per_scale in enumerate(found):
                s, k, windows = head.select([x[i] for x in scores], [x[i] for x in masks], sizes)
                per_scale.append((s, k, windows / scale))
        results = []
        for per_scale, sample in zip(found, batch_data_samples):
            scores, logits, windows = (torch.cat(t) for t in zip(*per_scale))
            keep = scores.argsort(descending=True)[:head.test_cfg.max_per_img]
            results.append(head.paste(scores[keep], logits[keep], windows[keep],
                                      sample.metainfo, rescale))
        return self.add_pred_to_datasample(batch_data_samples, results)
