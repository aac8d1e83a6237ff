from mmfpn.models.dense_heads import FPNSegmentProposalHead
from mmfpn.models.detectors import ImagePyramidSegmentProposer, SlicedInference
from mmfpn.models.necks.paper_fpn import PaperFPN
from mmfpn.models.roi_extractors.paper_roi_extractor import PaperRoIExtractor
from mmfpn.models.task_modules.paper_anchor_generator import PaperAnchorGenerator

__all__ = ['FPNSegmentProposalHead', 'ImagePyramidSegmentProposer', 'PaperFPN',
           'PaperAnchorGenerator', 'PaperRoIExtractor', 'SlicedInference']
