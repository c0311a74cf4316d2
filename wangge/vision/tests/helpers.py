"""Shared by the camera/zone/alert tests: a street with categories and people, a generated video whose
per-second people counts are known, and a test double of the people detector.

The double sits only at the counter's tile-detector boundary (`counting.TileDetector`): the synthetic
"people" are saturated red rectangles, which it finds by colour; tiling, NMS, zone membership by the
foot point, the alert state machine, the tables and the case loop are all the real ones. (The real
SSDLite model is not expected to see painted rectangles as people; it is evaluated by
benchmarks/bench_vision.py on real crowd images.)"""

from __future__ import annotations

from datetime import datetime

import cv2
import numpy as np
import pytest
from django.test import override_settings

from conftest import metres
from wangge.cases.services import category_seed
from wangge.vision import services
from wangge.vision.counting import Detection, TiledCounter

W, H = 320, 240
ZONE = [[10, 10], [200, 10], [200, 230], [10, 230]]  # the left part of the picture
START = datetime.fromisoformat("2026-03-02T10:00:00+08:00")  # a Monday morning, Shanghai


class RedBlobDetector:
    """People = saturated red blobs (as drawn by `frame`)."""

    def detect_batch(self, tiles):
        out = []
        for tile in tiles:
            b, g, r = (tile[:, :, i].astype(int) for i in range(3))
            mask = ((r > 150) & (g < 100) & (b < 100)).astype(np.uint8)
            contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            dets = []
            for c in contours:
                x, y, w, h = cv2.boundingRect(c)
                if w * h >= 40:
                    dets.append(Detection(float(x), float(y), float(x + w), float(y + h), 0.9))
            out.append(dets)
        return out


def fake_counter() -> TiledCounter:
    return TiledCounter(RedBlobDetector())


def frame(inside: int, outside: int = 2) -> np.ndarray:
    """A street-grey picture with `inside` people standing in ZONE and `outside` people to its right."""
    img = np.full((H, W, 3), 110, np.uint8)
    cv2.rectangle(img, (0, 180), (W, H), (90, 90, 90), -1)
    for i in range(inside):
        x, y = 20 + (i % 8) * 22, 40 + (i // 8) * 60
        cv2.rectangle(img, (x, y), (x + 12, y + 34), (30, 30, 220), -1)
    for i in range(outside):
        x = 230 + i * 30
        cv2.rectangle(img, (x, 60), (x + 12, 94), (30, 30, 220), -1)
    return img


# Seconds of video → people in the zone: a 5 s spike to 7 (brief), then 45 s at 7 (a gathering), then empty.
SCHEDULE = [(10, 1), (5, 7), (10, 1), (45, 7), (20, 0)]


def counts_per_second(schedule=SCHEDULE) -> list[int]:
    return [n for seconds, n in schedule for _ in range(seconds)]


def make_video(path, schedule=SCHEDULE, fps: int = 5) -> str:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (W, H))
    assert writer.isOpened()
    for n in counts_per_second(schedule):
        img = frame(n)
        for _ in range(fps):
            writer.write(img)
    writer.release()
    return str(path)


@pytest.fixture
def street(people, territory, tmp_path):
    category_seed(jurisdiction=territory)
    with override_settings(WANGGE_VISION_FILE_ROOT=str(tmp_path)):
        yield {"j": territory, "users": people, "dir": tmp_path}


def inside_point(x=100, y=300):
    """A WGS84 point in grid A of the fixture territory."""
    return metres(x, y, x + 1, y + 1).centroid


def file_camera(street, video: str, name: str = "东门广场", **zone_options):
    p = inside_point()
    admin = street["users"]["admin"]
    camera = services.camera_register(jurisdiction=street["j"], actor=admin, name=name, lon=p.x, lat=p.y,
                                      kind="file", stream_url=video, address="东门广场北侧")
    camera = services.camera_snapshot(camera=camera, actor=admin)
    rule = {"alert_level": 5, "clear_level": 3, "hold_seconds": 20, "window_seconds": 5, "cooldown_seconds": 60}
    rule.update(zone_options)
    zone = services.zone_save(camera=camera, actor=admin, name="广场", polygon=ZONE, **rule)
    return camera, zone
