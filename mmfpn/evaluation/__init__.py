from mmfpn.evaluation.segm_proposal_metric import SegmProposalMetric

__all__ = ['SegmProposalMetric']
