"""Shared fixtures: a small generated tiny dataset and a briefly trained model."""
import pytest
from helpers import train

from mmfpn.datasets.tiny import TinySpec, generate


@pytest.fixture(scope='session')
def workspace(tmp_path_factory):
    """A directory holding ``data/tiny`` with 8 train and 4 val images."""
    root = tmp_path_factory.mktemp('e2e')
    generate(str(root / 'data' / 'tiny'), TinySpec(num_train=8, num_val=4))
    return root


@pytest.fixture(scope='session')
def trained_checkpoint(workspace):
    """A tiny model trained for 2 epochs (8 iterations); its checkpoint path."""
    work = workspace / 'trained'
    train(workspace, work, 2)
    return str(work / 'epoch_2.pth')
