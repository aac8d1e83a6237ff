from mmfpn.evaluation.dense_coco_metric import DenseCocoMetric
from mmfpn.evaluation.dump import DumpRLEDetResults
from mmfpn.evaluation.segm_proposal_metric import SegmProposalMetric

__all__ = ['DenseCocoMetric', 'DumpRLEDetResults', 'SegmProposalMetric']
