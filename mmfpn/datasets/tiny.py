"""The embedded ``tiny`` dataset: seeded synthetic scenes that stress object scale.

Objects range from about 6 px to 200 px (COCO small < 32^2 <= medium < 96^2 <=
large), drawn over a textured background with unlabelled clutter and partial
occlusion. It is written in COCO format so that mmdet's ``CocoDataset`` and
``CocoMetric`` read it unchanged; it is generated on first use, never committed.

Each object carries its *visible* mask as COCO RLE (``segmentation``): the pixels
its shape covers at least half (anti-aliased edges) minus what objects drawn later
cover. Masks are rendered beside the image, from the same shapes, and consume no
random numbers, so images, boxes and areas are those of the box-only set (format
1); ``bbox`` stays the shape's nominal box (the drawing spills over it by at most one
pixel, and the mask says so) and ``area`` the box area, also where occlusion leaves a
smaller visible mask.
"""
import fcntl
import json
import math
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Tuple

import cv2
import numpy as np
import pycocotools.mask as mask_util
from mmengine.config import Config

from mmfpn.config.load import config_datasets

#: Where the tiny configs read the set (relative to the working directory).
TINY_ROOT = 'data/tiny'
CLASSES = ('circle', 'square', 'triangle', 'cross')
#: BGR base colour of each class; each object jitters it.
CLASS_COLORS = ((40, 60, 220), (220, 120, 30), (40, 200, 60), (200, 40, 200))
PALETTE = [tuple(reversed(c)) for c in CLASS_COLORS]  # RGB, for visualisers
METAINFO = dict(classes=CLASSES, palette=PALETTE)
#: (probability, min size, max size) of the COCO size groups, sizes = sqrt(area).
SIZE_GROUPS = ((0.40, 6, 32), (0.32, 32, 96), (0.28, 96, 200))
MAX_OVERLAP = 0.35  # largest fraction of a box that larger boxes under it cover
#: The annotation format, in ``info.format`` of each file: 2 added the masks.
#: :func:`ensure_tiny` regenerates a set written in another format.
FORMAT = 2


@dataclass(frozen=True)
class TinySpec:
    """What :func:`generate` writes: split sizes, image size and seed."""
    num_train: int = 320
    num_val: int = 80
    image_size: int = 320
    objects_per_image: Tuple[int, int] = (3, 8)
    seed: int = 0


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Smooth coloured noise plus fine grain: a textured, non-trivial background."""
    coarse = rng.integers(60, 190, (size // 32 + 1, size // 32 + 1, 3)).astype(np.uint8)
    img = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC).astype(np.int16)
    img += rng.integers(-18, 19, img.shape, dtype=np.int16)
    return np.clip(img, 0, 255).astype(np.uint8)


def _draw_shape(img: np.ndarray, cls: int, box: Tuple[int, int, int, int],
                color: Tuple[int, ...]) -> None:
    x, y, w, h = box
    if cls == 0:
        cv2.ellipse(img, (x + w // 2, y + h // 2), (max(w // 2, 1), max(h // 2, 1)),
                    0, 0, 360, color, -1, cv2.LINE_AA)
    elif cls == 1:
        cv2.rectangle(img, (x, y), (x + w - 1, y + h - 1), color, -1)
    elif cls == 2:
        pts = np.array([[x + w // 2, y], [x, y + h - 1], [x + w - 1, y + h - 1]], np.int32)
        cv2.fillPoly(img, [pts], color, cv2.LINE_AA)
    else:
        t = max(w // 4, 1), max(h // 4, 1)
        cv2.rectangle(img, (x + w // 2 - t[0] // 2 - 1, y), (x + w // 2 + t[0] // 2, y + h - 1), color, -1)
        cv2.rectangle(img, (x, y + h // 2 - t[1] // 2 - 1), (x + w - 1, y + h // 2 + t[1] // 2), color, -1)


def _shape_mask(cls: int, box: Tuple[int, int, int, int], size: int) -> np.ndarray:
    """(size, size) bool: the pixels the shape's anti-aliased drawing covers at least half."""
    canvas = np.zeros((size, size), np.uint8)
    _draw_shape(canvas, cls, box, (255, ))
    return canvas >= 128


def encode_mask(mask: np.ndarray) -> Dict:
    """A (H, W) bool mask as COCO compressed RLE with a JSON-safe ``counts`` string."""
    rle = mask_util.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(size=[int(v) for v in rle['size']], counts=rle['counts'].decode('ascii'))


def _clutter(rng: np.random.Generator, img: np.ndarray) -> None:
    """Unlabelled grey strokes and blobs: distractors that are no class."""
    size = img.shape[0]
    for _ in range(int(rng.integers(4, 10))):
        grey = int(rng.integers(30, 230))
        p1, p2 = rng.integers(0, size, 2), rng.integers(0, size, 2)
        if rng.random() < 0.5:
            cv2.line(img, tuple(map(int, p1)), tuple(map(int, p2)), (grey,) * 3,
                     int(rng.integers(1, 4)), cv2.LINE_AA)
        else:
            cv2.circle(img, tuple(map(int, p1)), int(rng.integers(3, 14)), (grey,) * 3, -1)


def _overlap(box: Tuple[int, int, int, int], others: List[Tuple[int, int, int, int]]) -> float:
    x, y, w, h = box
    covered = 0.0
    for ox, oy, ow, oh in others:
        iw = min(x + w, ox + ow) - max(x, ox)
        ih = min(y + h, oy + oh) - max(y, oy)
        if iw > 0 and ih > 0:
            covered += iw * ih
    return covered / (w * h)


def make_scene(rng: np.random.Generator, spec: TinySpec) -> Tuple[np.ndarray, List[Dict]]:
    """One image and its annotations (``bbox`` as COCO ``[x, y, w, h]``, ``segmentation``
    the visible mask as RLE)."""
    size = spec.image_size
    img = _background(rng, size)
    _clutter(rng, img)
    sizes = []
    for _ in range(int(rng.integers(spec.objects_per_image[0], spec.objects_per_image[1] + 1))):
        group = rng.choice(len(SIZE_GROUPS), p=[g[0] for g in SIZE_GROUPS])
        _, lo, hi = SIZE_GROUPS[group]
        side = math.exp(rng.uniform(math.log(lo), math.log(hi)))
        aspect = math.exp(rng.uniform(-0.4, 0.4))
        sizes.append((int(np.clip(round(side * aspect), 6, size - 2)),
                      int(np.clip(round(side / aspect), 6, size - 2))))
    # Largest first: smaller objects are drawn over (and partly occlude) larger
    # ones, never buried under them.
    sizes.sort(key=lambda wh: -wh[0] * wh[1])
    boxes: List[Tuple[int, int, int, int]] = []
    masks: List[np.ndarray] = []
    anns = []
    for w, h in sizes:
        for _attempt in range(20):
            box = (int(rng.integers(0, size - w)), int(rng.integers(0, size - h)), w, h)
            if _overlap(box, boxes) <= MAX_OVERLAP:
                break
        else:
            continue
        cls = int(rng.integers(len(CLASSES)))
        color = tuple(int(np.clip(c + rng.integers(-35, 36), 0, 255)) for c in CLASS_COLORS[cls])
        _draw_shape(img, cls, box, color)
        drawn = _shape_mask(cls, box, size)
        for mask in masks:  # what this object covers is no longer visible below it
            mask &= ~drawn
        masks.append(drawn)
        boxes.append(box)
        anns.append(dict(category_id=cls + 1, bbox=[float(v) for v in box],
                         area=float(w * h), iscrowd=0))
    for ann, mask in zip(anns, masks):
        ann['segmentation'] = encode_mask(mask)
    return img, anns


def generate(root: str, spec: TinySpec = TinySpec()) -> Dict[str, str]:
    """Write ``root/{train,val}/*.png`` and ``root/annotations/instances_*.json``.

    Deterministic for a given ``spec`` (a fixed seed per split).

    Returns:
        Split name -> annotation file path.
    """
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    categories = [dict(id=i + 1, name=n) for i, n in enumerate(CLASSES)]
    out = {}
    for split_idx, (split, count) in enumerate((('train', spec.num_train), ('val', spec.num_val))):
        rng = np.random.default_rng([spec.seed, split_idx])
        os.makedirs(osp.join(root, split), exist_ok=True)
        images, annotations = [], []
        for image_id in range(1, count + 1):
            img, anns = make_scene(rng, spec)
            name = f'{image_id:05d}.png'
            cv2.imwrite(osp.join(root, split, name), img)
            images.append(dict(id=image_id, file_name=name, width=spec.image_size,
                               height=spec.image_size))
            for ann in anns:
                annotations.append(dict(ann, id=len(annotations) + 1, image_id=image_id))
        ann_file = osp.join(root, 'annotations', f'instances_{split}.json')
        tmp = ann_file + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(dict(info=dict(format=FORMAT), images=images, annotations=annotations,
                           categories=categories), f)
        os.replace(tmp, ann_file)  # the annotation file appears last, complete
        out[split] = ann_file
    return out


def _current(ann_file: str) -> bool:
    """Whether ``ann_file`` exists and was written in :data:`FORMAT`."""
    try:
        with open(ann_file) as f:
            return json.load(f).get('info', {}).get('format') == FORMAT
    except (OSError, ValueError):
        return False


def ensure_tiny(root: str = TINY_ROOT, spec: TinySpec = TinySpec()) -> Dict[str, str]:
    """Generate the dataset unless both annotation files exist in the current
    :data:`FORMAT` (a set written by an older version is regenerated).

    Safe to call from several processes at once (distributed ranks): one
    generates under a file lock while the others wait for it.
    """
    files = {s: osp.join(root, 'annotations', f'instances_{s}.json') for s in ('train', 'val')}
    os.makedirs(root, exist_ok=True)
    with open(osp.join(root, '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if all(_current(f) for f in files.values()):
            return files
        return generate(root, spec)


def ensure_tiny_for(cfg: Config) -> None:
    """Generate the tiny set if a dataloader of ``cfg`` reads it from
    :data:`TINY_ROOT` and it is not there yet (the tiny configs work from a fresh
    checkout)."""
    if any(osp.normpath(d.get('data_root') or '.') == osp.normpath(TINY_ROOT)
           for _, d in config_datasets(cfg)):
        ensure_tiny(TINY_ROOT)


def size_histogram(ann_file: str) -> Dict[str, float]:
    """Fraction of COCO small / medium / large objects in an annotation file."""
    with open(ann_file) as f:
        areas = np.array([a['area'] for a in json.load(f)['annotations']])
    return dict(small=float((areas < 32**2).mean()),
                medium=float(((areas >= 32**2) & (areas < 96**2)).mean()),
                large=float((areas >= 96**2).mean()), count=int(areas.size))
