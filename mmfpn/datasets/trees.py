"""A real small-object set: the tree crowns that ship inside the ``deepforest`` wheel.

``deepforest==2.1.0`` (MIT licence, Weecology) carries four aerial RGB images of forest
with hand-drawn tree-crown boxes in PASCAL VOC XML (``deepforest/data/*.xml``): two
NEON Yellowstone crops (2299x2472, 574 crowns; 1249x1035, 279) and two 400x400 NEON
tiles (OSBS_029, 61; SOAP_061, 37). :func:`make_trees` takes the wheel (downloaded with
``pip download --no-deps``: the package and its dependencies are not installed), tiles
the images and writes COCO json under ``data/trees/``.

Rules (``TreesSpec``):

* **Split by region, so that no crown is in both splits.** Each large image is cut at
  ``val_fraction`` of its width: the left part gives training tiles, the right part
  validation tiles, and a crown crossing the cut is dropped from both. Of the two
  400 px tiles, OSBS_029 is training and SOAP_061 validation (other sites).
* **Tiles** of ``tile`` px with ``overlap`` px overlap inside each region, and crowns
  cut by a tile edge kept (clipped) when at least ``min_visible`` of the box is inside:
  the rules of :mod:`mmfpn.datasets.tiling` (``tools/make_tiles.py``), every tile kept.
* **Whole validation regions**: each validation region is also written as one image
  with all its crowns (``val_whole``, :data:`WHOLE_VAL`), for whole-image evaluation
  (``tools/test.py --slice``).
"""
import os
import os.path as osp
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

from mmfpn.datasets.tiling import Box, CocoWriter, TileSpec, tile_name, tiles_of

#: Where the tree configs read the set.
TREES_ROOT = 'data/trees'
DEEPFOREST_REQUIREMENT = 'deepforest==2.1.0'
CLASSES = ('tree',)
#: The images whose region is split into train (left) and val (right).
SPLIT_BY_REGION = ('2019_YELL_2_528000_4978000_image_crop2', '2019_YELL_2_541000_4977000_image_crop')
WHOLE_IMAGES = {'OSBS_029': 'train', 'SOAP_061': 'val'}
#: The validation regions whole (one image each, every crown inside it): the set for
#: whole-image and sliced evaluation (``tools/test.py --slice``), beside the tiles.
WHOLE_VAL_SPLIT = 'val_whole'
WHOLE_VAL = dict(ann_file=f'annotations/instances_{WHOLE_VAL_SPLIT}.json',
                 img=f'{WHOLE_VAL_SPLIT}/')


@dataclass(frozen=True)
class TreesSpec:
    """How :func:`make_trees` tiles and splits (see the module docstring)."""
    tile: int = 400
    overlap: int = 100
    val_fraction: float = 0.25
    min_visible: float = 0.6

    @property
    def tiles(self) -> TileSpec:
        """The tiling part (:mod:`mmfpn.datasets.tiling`): every tile is kept."""
        return TileSpec(tile=self.tile, overlap=self.overlap, min_visible=self.min_visible)


def read_voc(xml: bytes) -> List[Box]:
    """The ``(x1, y1, x2, y2)`` boxes of a PASCAL VOC annotation."""
    root = ET.fromstring(xml)
    return [tuple(float(obj.find('bndbox').find(k).text) for k in ('xmin', 'ymin', 'xmax', 'ymax'))
            for obj in root.iter('object')]


def regions(name: str, width: int, height: int, boxes: Sequence[Box],
            spec: TreesSpec) -> Dict[str, Tuple[Tuple[int, int, int, int], List[Box]]]:
    """Split name -> (region ``x0, y0, x1, y1``, the crowns wholly inside it)."""
    if name in WHOLE_IMAGES:
        return {WHOLE_IMAGES[name]: ((0, 0, width, height), list(boxes))}
    cut = round(width * (1 - spec.val_fraction))
    return {'train': ((0, 0, cut, height), [b for b in boxes if b[2] <= cut]),
            'val': ((cut, 0, width, height), [b for b in boxes if b[0] >= cut])}


def fetch_wheel(dest: str) -> str:
    """``pip download --no-deps deepforest==2.1.0`` into ``dest``; the wheel's path."""
    os.makedirs(dest, exist_ok=True)
    wheels = [f for f in os.listdir(dest) if f.startswith('deepforest-2.1.0') and f.endswith('.whl')]
    if not wheels:
        subprocess.run([sys.executable, '-m', 'pip', 'download', '--no-deps', '-q', '-d', dest,
                        DEEPFOREST_REQUIREMENT], check=True)
        wheels = [f for f in os.listdir(dest) if f.endswith('.whl')]
    return osp.join(dest, wheels[0])


def make_trees(wheel: str, root: str = TREES_ROOT, spec: TreesSpec = TreesSpec()) -> Dict[str, Dict]:
    """Tile the wheel's annotated images into ``root/{train,val}``, write the
    validation regions whole into ``root/val_whole`` (:data:`WHOLE_VAL`), and the
    COCO json of each under ``root/annotations/``.

    Returns:
        Split -> counts (``images``, ``boxes``, and ``dropped_at_cut``: crowns on the
        train/val cut).
    """
    category = [dict(id=1, name=CLASSES[0])]
    writers = {s: CocoWriter(root, s, category) for s in ('train', 'val', WHOLE_VAL_SPLIT)}
    dropped = 0
    with zipfile.ZipFile(wheel) as archive:
        for name in (*SPLIT_BY_REGION, *WHOLE_IMAGES):
            boxes = read_voc(archive.read(f'deepforest/data/{name}.xml'))
            data = np.frombuffer(archive.read(f'deepforest/data/{name}.png'), np.uint8)
            image = cv2.imdecode(data, cv2.IMREAD_COLOR)
            height, width = image.shape[:2]
            split_regions = regions(name, width, height, boxes, spec)
            dropped += len(boxes) - sum(len(inside) for _, inside in split_regions.values())
            for split, (region, inside) in split_regions.items():
                crowns = [_crown(box) for box in inside]
                for tile in tiles_of(crowns, width, height, spec.tiles, region):
                    x0, y0, x1, y1 = tile.window
                    writers[split].add(tile_name(name, tile.window), image[y0:y1, x0:x1],
                                       tile.annotations)
                if split == 'val':
                    x0, y0, x1, y1 = region
                    writers[WHOLE_VAL_SPLIT].add(
                        f'{name}.png', image[y0:y1, x0:x1],
                        [_crown((b[0] - x0, b[1] - y0, b[2] - x0, b[3] - y0)) for b in inside])
    stats = {}
    for split, writer in writers.items():
        writer.close()
        stats[split] = dict(**writer.counts(), dropped_at_cut=dropped)
    return stats


def _crown(box: Box) -> Dict:
    x1, y1, x2, y2 = box
    return dict(category_id=1, bbox=[x1, y1, x2 - x1, y2 - y1], area=(x2 - x1) * (y2 - y1),
                iscrowd=0)
