"""The window grid of a large image: tiles for training (:mod:`mmfpn.datasets.tiling`)
and windows for sliced inference (:mod:`mmfpn.models.detectors.sliced`) alike.

Windows of ``tile`` px overlap by ``overlap`` px; the last row and column are shifted
back to end at the image's edge (never past it), and a side shorter than a window
gives one window of that side's length.
"""
from typing import List, Optional, Tuple

#: ``(x0, y0, x1, y1)`` in image pixels, ``x1``/``y1`` exclusive.
Window = Tuple[int, int, int, int]


def tile_origins(start: int, stop: int, tile: int, overlap: int) -> List[int]:
    """Left (or top) edges of the tiles covering ``[start, stop)``.

    Example:
        >>> tile_origins(0, 1000, 400, 100)
        [0, 300, 600]
        >>> tile_origins(0, 250, 400, 100)
        [0]
    """
    if stop - start <= tile:
        return [start]
    step = tile - overlap
    origins = list(range(start, stop - tile, step))
    return origins + [stop - tile]


def window_grid(width: int, height: int, tile: int, overlap: int,
                region: Optional[Window] = None) -> List[Window]:
    """The tiles ``(x0, y0, x1, y1)`` covering ``region`` (default: the whole
    ``width`` x ``height`` image), row by row.

    Example:
        >>> window_grid(1000, 400, 400, 100)
        [(0, 0, 400, 400), (300, 0, 700, 400), (600, 0, 1000, 400)]
    """
    rx0, ry0, rx1, ry1 = region or (0, 0, width, height)
    return [(x0, y0, min(x0 + tile, rx1), min(y0 + tile, ry1))
            for y0 in tile_origins(ry0, ry1, tile, overlap)
            for x0 in tile_origins(rx0, rx1, tile, overlap)]
