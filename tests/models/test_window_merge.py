"""Merging windows' detections: exact boxes out of known windows."""
import pytest
import torch

from mmfpn.models.task_modules.window_merge import Detections, cut_sides, merge_windows

#: Two windows of a 700x400 image overlapping by 100 px: x in [0, 400) and [300, 700).
WINDOWS = [(0, 0, 400, 400), (300, 0, 700, 400)]


def dets(*rows):
    """rows: (x1, y1, x2, y2, score, label, window)."""
    t = torch.tensor(rows, dtype=torch.float32).reshape(-1, 7)
    return Detections(t[:, :4], t[:, 4], t[:, 5].long(), t[:, 6].long())


@pytest.mark.parametrize('method', ['nms', 'join'])
def test_a_box_found_in_two_windows_comes_out_once_in_image_coordinates(method):
    # An object at x 320-360 lies in the overlap: both windows see it whole.
    out = merge_windows(dets((320, 50, 360, 90, 0.9, 1, 0), (321, 50, 361, 90, 0.8, 1, 1)),
                        WINDOWS, 700, 400, method)
    assert out.bboxes.tolist() == [[320, 50, 360, 90]] and out.scores.tolist() == [
        pytest.approx(0.9)]


def test_an_object_larger_than_the_overlap_is_joined_from_its_two_parts():
    # The object spans x 250-450: window 0 sees 250-400 (cut at its right edge),
    # window 1 sees 300-450 (cut at its left edge). NMS keeps both parts (IoU 0.33).
    parts = dets((250, 100, 400, 180, 0.7, 0, 0), (300, 102, 450, 182, 0.8, 0, 1))
    nms = merge_windows(parts, WINDOWS, 700, 400, 'nms')
    assert len(nms.scores) == 2
    joined = merge_windows(parts, WINDOWS, 700, 400, 'join')
    assert joined.bboxes.tolist() == [[250, 100, 450, 182]]
    assert joined.scores.tolist() == [pytest.approx(0.8)]


def test_a_cut_part_beside_the_whole_object_goes_whatever_its_score():
    # The object spans x 360-420: window 1 sees it whole, window 0 sees 360-400 (cut),
    # more confidently. NMS keeps the cut part (IoU 0.67 suppresses the whole one).
    seen = dets((360, 10, 400, 50, 0.95, 2, 0), (360, 10, 420, 50, 0.6, 2, 1))
    assert merge_windows(seen, WINDOWS, 700, 400, 'nms').bboxes.tolist() == [[360, 10, 400, 50]]
    out = merge_windows(seen, WINDOWS, 700, 400, 'join')
    assert out.bboxes.tolist() == [[360, 10, 420, 50]]
    assert out.scores.tolist() == [pytest.approx(0.95)]


def test_join_leaves_other_classes_other_rows_and_image_edges_alone():
    rows = dets((250, 100, 400, 180, 0.7, 0, 0),      # cut at x = 400
                (300, 100, 450, 180, 0.8, 1, 1),      # its continuation, another class
                (300, 300, 450, 380, 0.6, 0, 1),      # same class, another row
                (0, 0, 30, 30, 0.5, 0, 0))            # on the image's edge: not cut
    out = merge_windows(rows, WINDOWS, 700, 400, 'join')
    assert sorted(out.bboxes.tolist()) == sorted(rows.bboxes.tolist())


def test_only_sides_on_inner_window_edges_count_as_cut():
    boxes = torch.tensor([[0., 10, 50, 60], [350, 10, 400, 60], [300, 390, 340, 400]])
    assert cut_sides(boxes, WINDOWS[0], 700, 400).tolist() == [
        [False, False, False, False],    # x1 = 0 is the image's edge
        [False, False, True, False],     # x2 = 400 is window 0's inner edge
        [False, False, False, False]]    # y2 = 400 is the image's bottom
    assert cut_sides(boxes, WINDOWS[1], 700, 400)[2].tolist() == [True, False, False, False]


def test_an_unknown_merge_method_is_refused():
    with pytest.raises(ValueError, match="'wbf'"):
        merge_windows(dets((0, 0, 1, 1, 1, 0, 0)), WINDOWS, 700, 400, 'wbf')
