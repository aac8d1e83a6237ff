from mmfpn.models.detectors.image_pyramid_proposer import ImagePyramidSegmentProposer

__all__ = ['ImagePyramidSegmentProposer']
