"""mmfpn: Feature Pyramid Networks for Object Detection (Lin et al., 2017) for mmdet 3.x.

Importing the package registers PaperFPN (mmdet ``MODELS``), PaperAnchorGenerator
(``TASK_UTILS``) and PaperRoIExtractor (``MODELS``), and lets mmengine's own
checkpoints load under torch's ``weights_only=True`` default (see
:mod:`mmfpn.engine.compat`), and makes mmengine's local file writes atomic
(:mod:`mmfpn.engine.atomic_io`). Configs switch it on with
``custom_imports = dict(imports=['mmfpn'], allow_failed_imports=False)``.
"""
from mmfpn.engine import amp, fast_inference, hooks  # noqa: F401  (register hooks, wrappers)
from mmfpn.engine.atomic_io import register_atomic_local_backend
from mmfpn.engine.compat import allow_mmengine_checkpoint_globals
from mmfpn.models import PaperAnchorGenerator, PaperFPN, PaperRoIExtractor

__version__ = '0.1.0'
__all__ = ['PaperFPN', 'PaperAnchorGenerator', 'PaperRoIExtractor', '__version__']

allow_mmengine_checkpoint_globals()
register_atomic_local_backend()
