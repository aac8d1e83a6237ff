"""The tree-crown set's tiling and split rules, on a synthetic stand-in for the wheel."""
import json
import zipfile

import cv2
import numpy as np
import pytest

from mmfpn.datasets.tiling import TileSpec, crop_boxes, make_tiles
from mmfpn.models.task_modules.windows import tile_origins
from mmfpn.datasets.trees import SPLIT_BY_REGION, WHOLE_IMAGES, TreesSpec, make_trees


def voc(boxes, width, height):
    objects = ''.join(f'<object><name>Tree</name><bndbox><xmin>{a}</xmin><ymin>{b}</ymin>'
                      f'<xmax>{c}</xmax><ymax>{d}</ymax></bndbox></object>' for a, b, c, d in boxes)
    return (f'<annotation><size><width>{width}</width><height>{height}</height></size>'
            f'{objects}</annotation>')


@pytest.fixture()
def wheel(tmp_path):
    """The four images of deepforest/data at small sizes: 1000x600 for the two split by
    region (cut at x = 750), 400x400 for the two whole ones."""
    path = tmp_path / 'deepforest-2.1.0-py3-none-any.whl'
    with zipfile.ZipFile(path, 'w') as archive:
        for name in (*SPLIT_BY_REGION, *WHOLE_IMAGES):
            width, height = (1000, 600) if name in SPLIT_BY_REGION else (400, 400)
            boxes = [(100, 100, 140, 150),    # train region
                     (740, 300, 770, 330),    # across the cut at 750: in neither split
                     (800, 500, 850, 560)]    # val region
            boxes = boxes if name in SPLIT_BY_REGION else [(10, 10, 50, 50)]
            archive.writestr(f'deepforest/data/{name}.xml', voc(boxes, width, height))
            image = np.full((height, width, 3), 90, np.uint8)
            archive.writestr(f'deepforest/data/{name}.png', cv2.imencode('.png', image)[1].tobytes())
    return str(path)


def test_tiles_cover_each_region_and_no_crown_is_in_both_splits(wheel, tmp_path):
    root = tmp_path / 'trees'
    stats = make_trees(wheel, str(root))
    assert stats['train']['dropped_at_cut'] == 2  # one crown on the cut in each large image
    coco = {s: json.loads((root / 'annotations' / f'instances_{s}.json').read_text())
            for s in ('train', 'val')}
    names = {s: {im['file_name'] for im in coco[s]['images']} for s in coco}
    # Train: x in [0, 750) -> tiles at x 0, 300, 350 (shifted back), y 0, 200 (600 high).
    large = SPLIT_BY_REGION[0]
    assert {n for n in names['train'] if n.startswith(large)} == {
        f'{large}_{x}_{y}.png' for x in (0, 300, 350) for y in (0, 200)}
    # Val: x in [750, 1000), narrower than a tile -> one 250 px wide column.
    assert {n for n in names['val'] if n.startswith(large)} == {
        f'{large}_750_{y}.png' for y in (0, 200)}
    assert 'OSBS_029_0_0.png' in names['train'] and 'SOAP_061_0_0.png' in names['val']
    assert all(im['width'] <= 400 and im['height'] <= 400 for s in coco for im in coco[s]['images'])
    for split, crown in (('train', [100, 100, 40, 50]), ('val', [50, 300, 50, 60])):
        tiles = {im['id']: im for im in coco[split]['images'] if im['file_name'].startswith(large)}
        found = [a['bbox'] for a in coco[split]['annotations'] if a['image_id'] in tiles]
        assert crown in found, (split, found)
    assert stats['train']['boxes'] == len(coco['train']['annotations'])


def test_whole_val_regions_hold_every_val_crown_and_tile_into_the_val_tiles(wheel, tmp_path):
    root = tmp_path / 'trees'
    stats = make_trees(wheel, str(root))
    whole = json.loads((root / 'annotations' / 'instances_val_whole.json').read_text())
    large = SPLIT_BY_REGION[0]
    assert [(im['file_name'], im['width'], im['height']) for im in whole['images']] == [
        (f'{SPLIT_BY_REGION[0]}.png', 250, 600), (f'{SPLIT_BY_REGION[1]}.png', 250, 600),
        ('SOAP_061.png', 400, 400)]
    # The val crown (800, 500, 850, 560) in the region starting at x = 750; none clipped.
    assert whole['annotations'][0]['bbox'] == [50, 500, 50, 60]
    assert stats['val_whole']['boxes'] == 3
    # One implementation: make_tiles on the whole regions gives make_trees' val tiles.
    spec = TreesSpec()
    make_tiles(str(root / 'annotations' / 'instances_val_whole.json'), str(root / 'val_whole'),
               str(tmp_path / 'again'), 'val',
               TileSpec(tile=spec.tile, overlap=spec.overlap, min_visible=spec.min_visible))
    tiled = json.loads((tmp_path / 'again' / 'annotations' / 'instances_val.json').read_text())
    val = json.loads((root / 'annotations' / 'instances_val.json').read_text())
    rename = {f'{large}_0_{y}.png': f'{large}_750_{y}.png' for y in (0, 200)}
    rename.update({f'{SPLIT_BY_REGION[1]}_0_{y}.png': f'{SPLIT_BY_REGION[1]}_750_{y}.png'
                   for y in (0, 200)})
    assert [rename.get(im['file_name'], im['file_name']) for im in tiled['images']] == [
        im['file_name'] for im in val['images']]
    assert [a['bbox'] for a in tiled['annotations']] == [a['bbox'] for a in val['annotations']]


def test_tile_origins_end_at_the_edge():
    assert tile_origins(0, 1000, 400, 100) == [0, 300, 600]
    assert tile_origins(750, 1000, 400, 100) == [750]
    assert tile_origins(0, 400, 400, 100) == [0]


def test_a_crown_cut_by_a_tile_edge_is_kept_when_enough_of_it_is_inside():
    spec = TreesSpec()
    box = (380.0, 0.0, 420.0, 10.0)  # half inside a tile ending at x = 400
    assert crop_boxes([box], 0, 0, 400, 400, spec.min_visible) == []
    assert crop_boxes([(370.0, 0, 410, 10)], 0, 0, 400, 400, 0.6) == [(370.0, 0, 400, 10)]
    assert crop_boxes([box], 300, 0, 700, 400, 0.6) == [(80.0, 0.0, 120.0, 10.0)]
