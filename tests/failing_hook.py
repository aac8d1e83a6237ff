"""A hook that raises on one rank only (imported by test_distributed.py's runs)."""
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class FailOnRankHook(Hook):

    def __init__(self, rank: int, iteration: int) -> None:
        self.rank, self.iteration = rank, iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if get_rank() == self.rank and runner.iter + 1 == self.iteration:
            raise RuntimeError(f'injected failure on rank {self.rank}')
