"""CPU distributed training with mmengine 0.10.7 (gloo).

mmengine's ``init_dist`` calls ``torch.cuda.set_device`` and its runner wraps the
model with ``device_ids=[LOCAL_RANK]``; both fail without CUDA.
:func:`prepare_distributed` initialises a gloo process group itself (the runner
then skips ``init_dist``) and selects :class:`CPUDistributedDataParallel`. With
CUDA nothing changes: mmengine initialises NCCL as usual.
"""
import datetime
import os

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` for CPU modules (gloo).

    mmengine's runner always passes ``device_ids=[LOCAL_RANK]``, which torch's DDP
    rejects for a module on the CPU; this wrapper drops it.
    """

    def __init__(self, module: torch.nn.Module, device_ids=None, **kwargs) -> None:
        super().__init__(module=module, device_ids=None, **kwargs)


def prepare_distributed(cfg: Config) -> None:
    """Start a gloo process group for ``cfg.launcher`` when CUDA is absent.

    Args:
        cfg: A config whose ``launcher`` is ``'none'``, ``'pytorch'``, ``'slurm'``
            or ``'mpi'``; modified in place (model wrapper, dist backend).
    """
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none' or torch.cuda.is_available() or torch_dist.is_initialized():
        return
    if launcher == 'slurm':
        os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
        os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
        os.environ.setdefault('LOCAL_RANK', os.environ['SLURM_LOCALID'])
        if 'MASTER_ADDR' not in os.environ:
            raise RuntimeError('CPU training under slurm needs MASTER_ADDR (and '
                               'MASTER_PORT) in the environment; export the first '
                               "node's address before srun")
    elif launcher != 'pytorch':
        raise RuntimeError(f'launcher={launcher!r} without CUDA is not supported; '
                           "use tools/dist_train.sh (launcher='pytorch')")
    os.environ.setdefault('LOCAL_RANK', os.environ.get('RANK', '0'))
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    timeout = cfg.env_cfg.dist_cfg.get('timeout')
    kwargs = {} if timeout is None else dict(timeout=datetime.timedelta(seconds=timeout))
    torch_dist.init_process_group(backend='gloo', **kwargs)
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    if wrapper.get('type', 'MMDistributedDataParallel') == 'MMDistributedDataParallel':
        wrapper['type'] = 'CPUDistributedDataParallel'
        wrapper.setdefault('broadcast_buffers', False)
        wrapper.setdefault('find_unused_parameters', cfg.get('find_unused_parameters', False))
        cfg.model_wrapper_cfg = wrapper
