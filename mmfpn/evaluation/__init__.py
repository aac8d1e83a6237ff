from mmfpn.evaluation.dump import DumpRLEDetResults
from mmfpn.evaluation.segm_proposal_metric import SegmProposalMetric

__all__ = ['DumpRLEDetResults', 'SegmProposalMetric']
