from mmfpn.models.detectors.image_pyramid_proposer import ImagePyramidSegmentProposer
from mmfpn.models.detectors.sliced import SlicedInference

__all__ = ['ImagePyramidSegmentProposer', 'SlicedInference']
