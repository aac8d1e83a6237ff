"""Cutting large images into tiles: the window grid, boxes cut by a tile's edge, and a
COCO set of large images turned into a tiled training set.

One implementation for three users: ``tools/make_tiles.py`` (your own large images),
``make real`` (the tree-crown mosaics, :mod:`mmfpn.datasets.trees`) and, for the grid
(:func:`~mmfpn.models.task_modules.windows.window_grid`), sliced inference
(:mod:`mmfpn.models.detectors.sliced`).

Rules (``TileSpec``):

* **Tiles** of ``tile`` px overlapping by ``overlap`` px; the last row and column are
  shifted back to end at the image's edge (never past it, so every tile but those of
  an image narrower than a tile has the full size); a side shorter than a tile gives
  one tile of that side's length.
* **Boxes cut by a tile edge** are kept, clipped to the tile, when at least
  ``min_visible`` of the box's area lies inside; otherwise dropped from that tile
  (they are whole in an overlapping neighbour when the overlap is at least their size).
* **Empty tiles** (no box kept) are negatives: ``negatives=None`` keeps them all,
  ``negatives=r`` keeps at most ``r`` times as many empty tiles as tiles with boxes,
  drawn at random with ``seed``.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmfpn.models.task_modules.windows import Window, window_grid

Box = Tuple[float, float, float, float]


@dataclass(frozen=True)
class TileSpec:
    """How :func:`make_tiles` cuts a set (see the module docstring)."""
    tile: int = 400
    overlap: int = 100
    min_visible: float = 0.6
    negatives: Optional[float] = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.tile < 1:
            raise ValueError(f'tile must be a positive number of pixels, got {self.tile}')
        if not 0 <= self.overlap < self.tile:
            raise ValueError(f'overlap must be in [0, tile={self.tile}) px, got {self.overlap}')
        if not 0 < self.min_visible <= 1:
            raise ValueError(f'min_visible must be in (0, 1], got {self.min_visible}')
        if self.negatives is not None and self.negatives < 0:
            raise ValueError(f'negatives must be >= 0 (or None: keep all), got {self.negatives}')


def clip_box(box: Box, window: Window, min_visible: float) -> Optional[Box]:
    """``box`` in ``window``'s coordinates, clipped to it, or None when less than
    ``min_visible`` of its area is inside."""
    bx1, by1, bx2, by2 = box
    x0, y0, x1, y1 = window
    area = (bx2 - bx1) * (by2 - by1)
    cx1, cy1, cx2, cy2 = max(bx1, x0), max(by1, y0), min(bx2, x1), min(by2, y1)
    if area <= 0 or cx2 <= cx1 or cy2 <= cy1 or (cx2 - cx1) * (cy2 - cy1) < min_visible * area:
        return None
    return (cx1 - x0, cy1 - y0, cx2 - x0, cy2 - y0)


def crop_boxes(boxes: Sequence[Box], x0: int, y0: int, x1: int, y1: int,
               min_visible: float) -> List[Box]:
    """The boxes of the window ``[x0, x1) x [y0, y1)`` (:func:`clip_box`), in order."""
    clipped = (clip_box(box, (x0, y0, x1, y1), min_visible) for box in boxes)
    return [box for box in clipped if box is not None]


class Tile(NamedTuple):
    """One tile of an image: its window and the annotations kept in it (COCO dicts
    with ``bbox`` in the tile's coordinates)."""
    window: Window
    annotations: List[Dict]


def tiles_of(annotations: Sequence[Dict], width: int, height: int, spec: TileSpec,
             region: Optional[Window] = None) -> List[Tile]:
    """The tiles of one image (or of ``region`` of it) with its COCO annotations
    (``bbox`` as ``[x, y, w, h]``) clipped by :func:`clip_box`; every other key of an
    annotation (``category_id``, ``iscrowd``, ...) is kept."""
    tiles = []
    for window in window_grid(width, height, spec.tile, spec.overlap, region):
        kept = []
        for ann in annotations:
            x, y, w, h = ann['bbox']
            box = clip_box((x, y, x + w, y + h), window, spec.min_visible)
            if box is not None:
                bw, bh = box[2] - box[0], box[3] - box[1]
                kept.append({**ann, 'bbox': [box[0], box[1], bw, bh], 'area': bw * bh})
        tiles.append(Tile(window, kept))
    return tiles


class CocoWriter:
    """Writes tiles (or whole images) as one COCO split: ``root/<split>/<file>`` and
    ``root/annotations/instances_<split>.json``."""

    def __init__(self, root: str, split: str, categories: Sequence[Dict]) -> None:
        self.root, self.split = root, split
        self.coco = dict(images=[], annotations=[], categories=list(categories))
        os.makedirs(osp.join(root, split), exist_ok=True)

    def add(self, file_name: str, image: np.ndarray, annotations: Sequence[Dict]) -> None:
        """Write ``image`` (HWC, BGR) and its annotations (``bbox`` in its pixels)."""
        cv2.imwrite(osp.join(self.root, self.split, file_name), image)
        image_id = len(self.coco['images']) + 1
        height, width = image.shape[:2]
        self.coco['images'].append(dict(id=image_id, file_name=file_name, width=width,
                                        height=height))
        for ann in annotations:
            ann = {k: v for k, v in ann.items() if k not in ('id', 'image_id', 'segmentation')}
            self.coco['annotations'].append(dict(
                id=len(self.coco['annotations']) + 1, image_id=image_id, **ann))

    def close(self) -> str:
        """Write the json (atomically); its path."""
        path = osp.join(self.root, 'annotations', f'instances_{self.split}.json')
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path + '.tmp', 'w') as f:
            json.dump(self.coco, f)
        os.replace(path + '.tmp', path)
        return path

    def counts(self) -> Dict[str, int]:
        return dict(images=len(self.coco['images']), boxes=len(self.coco['annotations']))


def tile_name(file_name: str, window: Window) -> str:
    """``a/b/image.jpg`` cut at ``(x0, y0, ...)`` -> ``image_<x0>_<y0>.png``."""
    stem = osp.splitext(osp.basename(file_name))[0]
    return f'{stem}_{window[0]}_{window[1]}.png'


def make_tiles(ann_file: str, img_dir: str, out_root: str, split: str,
               spec: TileSpec = TileSpec()) -> Dict[str, int]:
    """Cut every image of a COCO set into tiles (``TileSpec``): writes
    ``out_root/<split>/`` and ``out_root/annotations/instances_<split>.json``.

    Segmentation masks are not carried (a tiled set is a box set); an image whose
    file cannot be read stops the run with its path.

    Returns:
        ``images`` (tiles written), ``boxes``, ``empty`` (empty tiles written),
        ``empty_dropped`` (empty tiles left out by ``negatives``), ``source_images``.

    Raises:
        FileNotFoundError: ``ann_file`` or an image does not exist or cannot be read.
    """
    with open(ann_file) as f:
        coco = json.load(f)
    by_image: Dict[int, List[Dict]] = {im['id']: [] for im in coco['images']}
    for ann in coco.get('annotations', []):
        by_image[ann['image_id']].append(ann)
    tiles = {im['id']: tiles_of(by_image[im['id']], im['width'], im['height'], spec)
             for im in coco['images']}
    empty = [(image_id, i) for image_id, image_tiles in tiles.items()
             for i, tile in enumerate(image_tiles) if not tile.annotations]
    keep_empty = set(empty)
    if spec.negatives is not None:
        positives = sum(len(t) for t in tiles.values()) - len(empty)
        wanted = min(len(empty), int(spec.negatives * positives))
        order = np.random.default_rng(spec.seed).permutation(len(empty))[:wanted]
        keep_empty = {empty[i] for i in order}
    writer = CocoWriter(out_root, split, coco['categories'])
    for im in coco['images']:
        path = osp.join(img_dir, im['file_name'])
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            raise FileNotFoundError(f'cannot read image {path!r} (listed in {ann_file})')
        for i, tile in enumerate(tiles[im['id']]):
            if tile.annotations or (im['id'], i) in keep_empty:
                x0, y0, x1, y1 = tile.window
                writer.add(tile_name(im['file_name'], tile.window), image[y0:y1, x0:x1],
                           tile.annotations)
    writer.close()
    return dict(**writer.counts(), empty=len(keep_empty), empty_dropped=len(empty) - len(keep_empty),
                source_images=len(coco['images']))


def make_mosaics(ann_file: str, img_dir: str, out_root: str, split: str,
                 grid: int = 4) -> Dict[str, int]:
    """Paste the images of a COCO set, ``grid`` x ``grid`` at a time in order, into
    large images with their boxes (a test of sliced inference whose every object is
    also in a known tile: mosaic ``k``'s cell ``(r, c)`` is image ``k * grid**2 + r *
    grid + c``). The images must share one size; a last incomplete mosaic is left out.

    Returns:
        ``images`` (mosaics written) and ``boxes``.
    """
    with open(ann_file) as f:
        coco = json.load(f)
    sizes = {(im['width'], im['height']) for im in coco['images']}
    if len(sizes) != 1:
        raise ValueError(f'mosaics need images of one size, {ann_file} has {sorted(sizes)}')
    (width, height), = sizes
    by_image: Dict[int, List[Dict]] = {im['id']: [] for im in coco['images']}
    for ann in coco.get('annotations', []):
        by_image[ann['image_id']].append(ann)
    writer = CocoWriter(out_root, split, coco['categories'])
    cells = grid * grid
    for k in range(len(coco['images']) // cells):
        canvas = np.zeros((grid * height, grid * width, 3), np.uint8)
        anns = []
        for cell, im in enumerate(coco['images'][k * cells:(k + 1) * cells]):
            x0, y0 = (cell % grid) * width, (cell // grid) * height
            canvas[y0:y0 + height, x0:x0 + width] = cv2.imread(osp.join(img_dir, im['file_name']))
            for ann in by_image[im['id']]:
                x, y, w, h = ann['bbox']
                anns.append({key: v for key, v in ann.items() if key != 'segmentation'}
                            | dict(bbox=[x + x0, y + y0, w, h]))
        writer.add(f'mosaic_{k}.png', canvas, anns)
    writer.close()
    return writer.counts()
