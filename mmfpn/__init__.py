"""mmfpn: Feature Pyramid Networks for Object Detection (Lin et al., 2017) for mmdet 3.x.

Importing the package only registers: its components, metrics, hooks, optim wrapper
and model wrapper in mmdet's and mmengine's registries
(:func:`mmfpn.config.registered.mmfpn_types` lists them), and the ``'atomic_local'``
file backend; configs choose what runs (``configs/_base_/default_runtime.py``).
The one process-wide change is torch's safe-loading allowlist, extended by exactly
the globals mmengine's own checkpoints hold, without which no mmengine checkpoint
loads on torch >= 2.6 (:mod:`mmfpn.engine.compat`). Configs switch mmfpn on with
``custom_imports = dict(imports=['mmfpn'], allow_failed_imports=False)``.
"""
from mmfpn.deploy import fast_hook  # noqa: F401  (registration)
from mmfpn.engine import amp, atomic_io, distributed, hooks  # noqa: F401  (registration)
from mmfpn.engine.compat import allow_mmengine_checkpoint_globals
from mmfpn.evaluation import SegmProposalMetric
from mmfpn.models import FPNSegmentProposalHead, PaperAnchorGenerator, PaperFPN, PaperRoIExtractor

__version__ = '0.1.0'
__all__ = ['FPNSegmentProposalHead', 'PaperFPN', 'PaperAnchorGenerator', 'PaperRoIExtractor',
           'SegmProposalMetric', '__version__']

allow_mmengine_checkpoint_globals()
