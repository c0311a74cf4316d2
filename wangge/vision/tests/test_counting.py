import numpy as np
import pytest

from wangge.vision import zones
from wangge.vision.counting import (
    CountResult,
    Detection,
    ModelUnavailable,
    SsdLitePersonDetector,
    TiledCounter,
    TilingConfig,
    VisionError,
    build_counter,
    count_people,
    decode_ssd,
    nms,
    ssd_anchors,
    tile_grid,
)


class FakeTileDetector:
    """Returns, for each tile, the given frame-coordinate boxes that lie wholly inside it (in tile
    coordinates), like a real detector would see them; records the tiles it was given."""

    def __init__(self, frame_boxes):
        self.frame_boxes = frame_boxes
        self.calls = []

    def detect_batch(self, tiles):
        self.calls.append([t.shape for t in tiles])
        out = []
        for tile in tiles:
            x0, y0 = int(tile[0, 0, 0]), int(tile[0, 0, 1])  # frame() paints each pixel with its x, y
            h, w = tile.shape[:2]
            dets = []
            for x1, y1, x2, y2, s in self.frame_boxes:
                if x1 >= x0 and y1 >= y0 and x2 <= x0 + w and y2 <= y0 + h:
                    dets.append(Detection(x1 - x0, y1 - y0, x2 - x0, y2 - y0, s))
            out.append(dets)
        return out


def frame(w=200, h=100):
    """A test frame whose pixels hold their own coordinates (channel 0: x, channel 1: y)."""
    ys, xs = np.mgrid[0:h, 0:w]
    return np.stack([xs, ys, np.zeros_like(xs)], axis=-1).astype(np.int32)


def test_tile_grid_covers_the_frame_with_overlap():
    rects = tile_grid(1000, 500, tile=400, overlap=0.25)
    xs = sorted({x for x, _y, _w, _h in rects})
    ys = sorted({y for _x, y, _w, _h in rects})
    assert xs == [0, 300, 600] and ys == [0, 100]
    assert all(w == 400 and h == 400 for _x, _y, w, h in rects)
    assert tile_grid(300, 200, tile=400, overlap=0.25) == [(0, 0, 300, 200)]
    with pytest.raises(ValueError):
        tile_grid(300, 200, tile=400, overlap=1.0)


def test_nms_keeps_the_best_of_overlapping_boxes_and_drops_a_cut_copy():
    a = Detection(10, 10, 30, 60, 0.9)
    a_again = Detection(11, 10, 31, 61, 0.6)
    a_cut = Detection(10, 10, 30, 40, 0.7)  # the upper part only, found in a neighbouring tile
    b = Detection(100, 10, 120, 60, 0.5)
    kept = nms([a_again, b, a_cut, a])
    assert kept == [a, b]
    assert nms([]) == []


def test_a_person_seen_in_two_overlapping_tiles_is_counted_once():
    # 200 px wide frame, 120 px tiles with 50 % overlap: tiles at x 0, 60, 80; the person (x 70–100)
    # lies wholly inside the tiles starting at 60 and 80 and is reported by both.
    fake = FakeTileDetector([(70, 20, 100, 90, 0.8), (5, 10, 25, 80, 0.9)])
    counter = TiledCounter(fake, TilingConfig(tile=120, overlap=0.5))
    dets = counter.detect(frame(200, 100))
    raw = sum(len(d) for d in fake.detect_batch([frame(200, 100)[0:100, x : x + 120] for x in (0, 60, 80)]))
    assert raw >= 3  # without the merge the person would be counted twice
    assert sorted((d.x1, d.y2) for d in dets) == [(5, 80), (70, 90)]
    assert counter.count(frame(200, 100)).count == 2


def test_zone_counts_a_person_by_the_bottom_centre_of_the_box():
    zone = zones.zone_polygon([(0, 50), (100, 50), (100, 100), (0, 100)], width=200, height=100)
    inside = (40, 10, 60, 80, 0.9)  # head above the zone, feet at (50, 80) inside
    outside = (120, 60, 140, 99, 0.9)  # feet at (130, 99): right of the zone
    straddling = (90, 20, 130, 70, 0.9)  # box overlaps the zone, feet at (110, 70) outside
    counter = TiledCounter(FakeTileDetector([inside, outside, straddling]), TilingConfig(tile=400))
    result = count_people(frame(), zone=zone, counter=counter)
    assert isinstance(result, CountResult)
    assert result.count == 1 and result.detections[0].foot == (50.0, 80)
    assert count_people(frame(), counter=counter).count == 3


def test_the_overview_detector_sees_the_whole_frame_and_is_merged():
    tiles = FakeTileDetector([(70, 20, 100, 90, 0.8)])
    overview = FakeTileDetector([(70, 20, 100, 90, 0.7), (10, 5, 190, 99, 0.9)])  # plus one large person
    dets = TiledCounter(tiles, TilingConfig(tile=120, overlap=0.5), overview=overview).detect(frame(200, 100))
    assert overview.calls == [[(100, 200, 3)]]
    assert sorted((d.x1, d.score) for d in dets) == [(10, 0.9), (70, 0.8)]


def test_bad_images_are_clear_errors():
    counter = TiledCounter(FakeTileDetector([]))
    for bad in (np.zeros((10, 10), np.uint8), np.zeros((0, 0, 3), np.uint8), np.zeros((4, 4, 4), np.uint8)):
        with pytest.raises(VisionError):
            counter.count(bad)


def test_anchors_match_the_training_time_generator():
    anchors = ssd_anchors(((19, 19), (10, 10), (5, 5), (3, 3), (2, 2), (1, 1)), (300, 300))
    assert anchors.shape == (1917, 4)  # the SSD-MobileNet 300×300 anchor count
    np.testing.assert_allclose(anchors[0], [0.5 / 19, 0.5 / 19, 0.1, 0.1], rtol=1e-5)
    np.testing.assert_allclose(anchors[-1, :2], [0.5, 0.5])
    # twice the input: the same anchor is half as large relative to it
    big = ssd_anchors(((38, 38), (19, 19), (10, 10), (5, 5), (3, 3), (2, 2)), (600, 600))
    np.testing.assert_allclose(big[0, 2:], [0.05, 0.05], rtol=1e-5)


def test_decode_zero_codes_gives_the_anchors():
    shapes = [(19, 3), (10, 6), (5, 6), (3, 6), (2, 6), (1, 6)]
    box_maps = [np.zeros((a * 4, s, s), np.float32) for s, a in shapes]
    cls_maps = [np.zeros((a * 2, s, s), np.float32) for s, a in shapes]
    cls_maps[0][1, 0, 0] = 10.0  # the first anchor: person logit high
    boxes, scores = decode_ssd(box_maps, cls_maps)
    assert boxes.shape == (1917, 4)
    np.testing.assert_allclose(boxes[0], [0.5 / 19 - 0.05, 0.5 / 19 - 0.05, 0.5 / 19 + 0.05, 0.5 / 19 + 0.05], atol=1e-6)
    assert scores[0] > 0.99 and abs(scores[1] - 0.5) < 1e-6


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelUnavailable):
        SsdLitePersonDetector(tmp_path / "nope.onnx")


def test_real_model_counts_nobody_in_empty_images(real_model):
    counter = build_counter(real_model)
    rng = np.random.default_rng(7)
    assert counter.count(np.full((480, 640, 3), 128, np.uint8)).count == 0
    assert counter.count(np.zeros((768, 1024, 3), np.uint8)).count == 0
    sky = np.clip(rng.normal(180, 8, (300, 400, 3)), 0, 255).astype(np.uint8)  # a noisy, empty view
    assert counter.count(sky).count == 0


def test_real_model_runs_tiled_on_a_large_frame(real_model):
    big = np.full((1080, 1920, 3), 90, np.uint8)
    counter = build_counter(real_model, tiling=TilingConfig(tile=1024, overlap=0.25))
    assert len(tile_grid(1920, 1080, tile=1024, overlap=0.25)) > 1
    assert counter.count(big).count == 0
