"""A hook that breaks one training image after the data checks ran (imported by
test_reliability.py's run): at the end of epoch 1 it overwrites the file."""
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class CorruptImageHook(Hook):

    def __init__(self, path: str) -> None:
        self.path = path

    def after_train_epoch(self, runner) -> None:
        if runner.epoch == 0:  # epoch 1 has finished and been saved (priority LOWEST)
            with open(self.path, 'wb') as f:
                f.write(b'\x89PNG\r\n\x1a\n' + bytes(64))

    priority = 'LOWEST'
