"""The shape of a feature map, shared by the neck and the config checks."""
from typing import NamedTuple


class ShapeSpec(NamedTuple):
    """Channels and stride of one feature map (detectron2's ``ShapeSpec``)."""
    channels: int
    stride: int
