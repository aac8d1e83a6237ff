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
* **Tiles** of ``tile`` px with ``overlap`` px overlap inside each region (the last row
  and column are shifted back to end at the region's edge; a region narrower than a
  tile gives one tile of its size).
* **Crowns cut by a tile edge**: kept, clipped to the tile, when at least
  ``min_visible`` of the box's area lies inside the tile; otherwise dropped from that
  tile (they appear whole in an overlapping neighbour when the overlap allows).
"""
import json
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

#: Where the tree configs read the set.
TREES_ROOT = 'data/trees'
DEEPFOREST_REQUIREMENT = 'deepforest==2.1.0'
CLASSES = ('tree',)
#: The images whose region is split into train (left) and val (right).
SPLIT_BY_REGION = ('2019_YELL_2_528000_4978000_image_crop2', '2019_YELL_2_541000_4977000_image_crop')
WHOLE_IMAGES = {'OSBS_029': 'train', 'SOAP_061': 'val'}

Box = Tuple[float, float, float, float]


@dataclass(frozen=True)
class TreesSpec:
    """How :func:`make_trees` tiles and splits (see the module docstring)."""
    tile: int = 400
    overlap: int = 100
    val_fraction: float = 0.25
    min_visible: float = 0.6


def read_voc(xml: bytes) -> List[Box]:
    """The ``(x1, y1, x2, y2)`` boxes of a PASCAL VOC annotation."""
    root = ET.fromstring(xml)
    return [tuple(float(obj.find('bndbox').find(k).text) for k in ('xmin', 'ymin', 'xmax', 'ymax'))
            for obj in root.iter('object')]


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


def crop_boxes(boxes: Sequence[Box], x0: int, y0: int, x1: int, y1: int,
               min_visible: float) -> List[Box]:
    """Boxes of the window ``[x0, x1) x [y0, y1)`` in its coordinates: clipped, kept
    when at least ``min_visible`` of their area is inside."""
    out = []
    for bx1, by1, bx2, by2 in boxes:
        area = (bx2 - bx1) * (by2 - by1)
        cx1, cy1, cx2, cy2 = max(bx1, x0), max(by1, y0), min(bx2, x1), min(by2, y1)
        if area <= 0 or cx2 <= cx1 or cy2 <= cy1:
            continue
        if (cx2 - cx1) * (cy2 - cy1) >= min_visible * area:
            out.append((cx1 - x0, cy1 - y0, cx2 - x0, cy2 - y0))
    return out


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
    """Tile the wheel's annotated images into ``root/{train,val}`` and write
    ``root/annotations/instances_{train,val}.json``.

    Returns:
        Split -> counts (``images``, ``boxes``, and ``dropped_at_cut``: crowns on the
        train/val cut).
    """
    splits = {s: dict(images=[], annotations=[]) for s in ('train', 'val')}
    stats = {s: dict(images=0, boxes=0, dropped_at_cut=0) for s in splits}
    with zipfile.ZipFile(wheel) as archive:
        for name in (*SPLIT_BY_REGION, *WHOLE_IMAGES):
            boxes = read_voc(archive.read(f'deepforest/data/{name}.xml'))
            data = np.frombuffer(archive.read(f'deepforest/data/{name}.png'), np.uint8)
            image = cv2.imdecode(data, cv2.IMREAD_COLOR)
            height, width = image.shape[:2]
            kept = 0
            for split, ((rx0, ry0, rx1, ry1), inside) in regions(name, width, height, boxes,
                                                                  spec).items():
                kept += len(inside)
                os.makedirs(osp.join(root, split), exist_ok=True)
                for y0 in tile_origins(ry0, ry1, spec.tile, spec.overlap):
                    for x0 in tile_origins(rx0, rx1, spec.tile, spec.overlap):
                        x1, y1 = min(x0 + spec.tile, rx1), min(y0 + spec.tile, ry1)
                        coco = splits[split]
                        image_id = len(coco['images']) + 1
                        file_name = f'{name}_{x0}_{y0}.png'
                        cv2.imwrite(osp.join(root, split, file_name), image[y0:y1, x0:x1])
                        coco['images'].append(dict(id=image_id, file_name=file_name,
                                                   width=x1 - x0, height=y1 - y0))
                        for bx1, by1, bx2, by2 in crop_boxes(inside, x0, y0, x1, y1,
                                                             spec.min_visible):
                            w, h = bx2 - bx1, by2 - by1
                            coco['annotations'].append(dict(
                                id=len(coco['annotations']) + 1, image_id=image_id,
                                category_id=1, bbox=[bx1, by1, w, h], area=w * h, iscrowd=0))
            stats['train']['dropped_at_cut'] += len(boxes) - kept
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    for split, coco in splits.items():
        coco['categories'] = [dict(id=1, name=CLASSES[0])]
        path = osp.join(root, 'annotations', f'instances_{split}.json')
        with open(path + '.tmp', 'w') as f:
            json.dump(coco, f)
        os.replace(path + '.tmp', path)
        stats[split].update(images=len(coco['images']), boxes=len(coco['annotations']))
    stats['val']['dropped_at_cut'] = stats['train']['dropped_at_cut']
    return stats
