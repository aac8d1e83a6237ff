from mmfpn.models.dense_heads.segment_proposal_head import FPNSegmentProposalHead

__all__ = ['FPNSegmentProposalHead']
