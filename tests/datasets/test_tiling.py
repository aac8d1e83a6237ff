"""Tiles and windows: the grid, boxes cut by a tile edge, ``make_tiles`` and mosaics."""
import json

import cv2
import numpy as np
import pytest

from mmfpn.datasets.tiling import TileSpec, make_mosaics, make_tiles, tiles_of
from mmfpn.models.task_modules.windows import window_grid


def test_windows_cover_the_image_with_the_stated_overlap_and_end_at_its_edge():
    grid = window_grid(1000, 700, 400, 100)
    xs = sorted({w[0] for w in grid})
    ys = sorted({w[1] for w in grid})
    assert xs == [0, 300, 600] and ys == [0, 300]        # the last ones shifted back
    assert all(x1 - x0 == 400 and y1 - y0 == 400 for x0, y0, x1, y1 in grid)
    assert max(w[2] for w in grid) == 1000 and max(w[3] for w in grid) == 700
    covered = np.zeros((700, 1000), bool)
    for x0, y0, x1, y1 in grid:
        covered[y0:y1, x0:x1] = True
    assert covered.all()
    # Neighbours in a row overlap by exactly 100 px except the shifted last one.
    assert [b - a for a, b in zip(xs, xs[1:])] == [300, 300]
    assert ys[1] - ys[0] == 300 and 700 - 400 == ys[1]


def test_a_side_shorter_than_a_window_gives_one_window_of_its_length():
    assert window_grid(250, 900, 400, 100) == [(0, 0, 250, 400), (0, 300, 250, 700),
                                               (0, 500, 250, 900)]
    assert window_grid(300, 200, 400, 100) == [(0, 0, 300, 200)]


def test_tiles_keep_cut_boxes_with_enough_inside_and_every_annotation_key():
    ann = dict(category_id=3, bbox=[370, 10, 40, 20], iscrowd=0, area=800)
    spec = TileSpec(tile=400, overlap=100, min_visible=0.6)
    tiles = tiles_of([ann], 800, 400, spec)
    assert [t.window for t in tiles] == [(0, 0, 400, 400), (300, 0, 700, 400),
                                         (400, 0, 800, 400)]
    # 30 of 40 px inside the first tile: kept clipped; whole in the second; 10 px in the third.
    assert tiles[0].annotations == [dict(category_id=3, bbox=[370, 10, 30, 20], iscrowd=0,
                                         area=600)]
    assert tiles[1].annotations[0]['bbox'] == [70, 10, 40, 20]
    assert tiles[2].annotations == []


@pytest.mark.parametrize('spec', [dict(tile=0), dict(overlap=400), dict(overlap=-1),
                                  dict(min_visible=0), dict(negatives=-1)])
def test_a_tile_spec_that_cannot_work_is_refused_with_its_value(spec):
    with pytest.raises(ValueError, match=str(list(spec.values())[0])):
        TileSpec(**spec)


def write_coco(tmp_path, images):
    """``images``: file name -> (width, height, [bbox...]); writes images and json."""
    (tmp_path / 'imgs').mkdir()
    coco = dict(images=[], annotations=[], categories=[dict(id=1, name='thing')])
    for image_id, (name, (width, height, boxes)) in enumerate(images.items(), 1):
        cv2.imwrite(str(tmp_path / 'imgs' / name), np.full((height, width, 3), 7 * image_id,
                                                             np.uint8))
        coco['images'].append(dict(id=image_id, file_name=name, width=width, height=height))
        for box in boxes:
            coco['annotations'].append(dict(id=len(coco['annotations']) + 1, image_id=image_id,
                                            category_id=1, bbox=box, area=box[2] * box[3],
                                            iscrowd=0))
    path = tmp_path / 'instances.json'
    path.write_text(json.dumps(coco))
    return str(path)


def test_make_tiles_writes_the_tiles_and_keeps_empty_ones_up_to_the_ratio(tmp_path):
    ann = write_coco(tmp_path, {'a.png': (1000, 400, [[10, 10, 50, 50]]),
                                'b.png': (400, 400, [])})
    # a.png: 3 tiles, one with the box; b.png: one empty tile -> 3 empty tiles in all.
    counts = make_tiles(ann, str(tmp_path / 'imgs'), str(tmp_path / 'out'), 'train',
                        TileSpec(tile=400, overlap=100, negatives=1.0))
    assert counts == dict(images=2, boxes=1, empty=1, empty_dropped=2, source_images=2)
    coco = json.loads((tmp_path / 'out/annotations/instances_train.json').read_text())
    assert coco['images'][0]['file_name'] == 'a_0_0.png'
    assert coco['annotations'] == [dict(id=1, image_id=1, category_id=1, bbox=[10, 10, 50, 50],
                                        area=2500, iscrowd=0)]
    every = make_tiles(ann, str(tmp_path / 'imgs'), str(tmp_path / 'all'), 'train',
                       TileSpec(tile=400, overlap=100))
    assert every['images'] == 4 and every['empty_dropped'] == 0


def test_make_tiles_names_an_image_it_cannot_read(tmp_path):
    ann = write_coco(tmp_path, {'a.png': (500, 500, [])})
    (tmp_path / 'imgs' / 'a.png').write_bytes(b'not an image')
    with pytest.raises(FileNotFoundError, match='a.png'):
        make_tiles(ann, str(tmp_path / 'imgs'), str(tmp_path / 'out'), 'train')


def test_mosaic_cells_hold_the_source_images_and_their_shifted_boxes(tmp_path):
    images = {f'{i}.png': (100, 80, [[i, 2, 10, 10]]) for i in range(9)}
    ann = write_coco(tmp_path, images)
    assert make_mosaics(ann, str(tmp_path / 'imgs'), str(tmp_path), 'mosaic', grid=2) == dict(
        images=2, boxes=8)
    coco = json.loads((tmp_path / 'annotations/instances_mosaic.json').read_text())
    assert coco['images'][1] == dict(id=2, file_name='mosaic_1.png', width=200, height=160)
    # Mosaic 1, cell (1, 1) = image 7 (its box at x = 7), shifted by (100, 80).
    assert coco['annotations'][7]['bbox'] == [107, 82, 10, 10]
    mosaic = cv2.imread(str(tmp_path / 'mosaic/mosaic_1.png'))
    assert mosaic[100, 150, 0] == 7 * 8    # written with value 7 * image_id (id 8)
