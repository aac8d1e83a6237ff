"""Build mmengine's Runner for a checked config."""
from mmengine.config import Config
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmfpn.engine.distributed import prepare_distributed


def build_runner(cfg: Config) -> Runner:
    """mmdet's rule (``Runner.from_cfg`` unless the config names ``runner_type``),
    after starting CPU distributed training when the launcher asks for it."""
    prepare_distributed(cfg)
    return Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
