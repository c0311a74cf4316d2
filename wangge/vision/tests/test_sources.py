import threading
import time

import cv2
import numpy as np
import pytest

from wangge.vision.sources import Backoff, FileSource, Health, LiveSource, SourceError, SourceKind


def make_video(path, *, frames=30, fps=10.0, size=(64, 48)):
    """An MJPG .avi whose frame i is a flat grey of level 8·i (readable back within JPEG error)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), 8 * i, np.uint8))
    writer.release()
    return path


def level(frame):
    return round(float(frame.image.mean()) / 8)


def test_file_source_samples_by_media_time(tmp_path):
    src = FileSource(make_video(tmp_path / "v.avi"), sample_fps=2)
    frames = list(src)
    assert [level(f) for f in frames] == [0, 5, 10, 15, 20, 25]  # 10 fps file, 2 samples a second
    assert [f.index for f in frames] == list(range(6))
    assert frames[3].at == pytest.approx(1.5)
    assert src.ended and src.read() is None  # the end of the file, repeatedly
    # deterministic: the same file and rate give the same frames
    assert [level(f) for f in FileSource(tmp_path / "v.avi", sample_fps=2)] == [0, 5, 10, 15, 20, 25]


def test_file_source_faster_than_the_file_repeats_frames(tmp_path):
    src = FileSource(make_video(tmp_path / "slow.avi", frames=4, fps=2.0), sample_fps=4)
    assert [level(f) for f in src] == [0, 0, 1, 1, 2, 2, 3, 3]


def test_garbage_or_missing_file_is_a_clear_error(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    with pytest.raises(SourceError) as err:
        FileSource(junk)
    assert err.value.code == "vision_source_unreadable"
    with pytest.raises(SourceError) as err:
        FileSource(tmp_path / "nope.mp4")
    assert err.value.code == "vision_source_missing"
    with pytest.raises(SourceError):
        FileSource(make_video(tmp_path / "v.avi"), sample_fps=0)


class FakeCapture:
    def __init__(self, frames, opened=True):
        self.frames, self.opened, self.released = list(frames), opened, False

    def isOpened(self):
        return self.opened

    def read(self):
        if not self.frames:
            return False, None
        item = self.frames.pop(0)
        if isinstance(item, Exception):
            raise item
        return True, item

    def release(self):
        self.released = True


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


IMG = np.zeros((4, 4, 3), np.uint8)


def test_live_stream_reconnects_with_back_off_then_goes_offline_and_recovers():
    clock = Clock()
    attempts = []
    plan = (
        [FakeCapture([], opened=False)] * 3
        + [FakeCapture([IMG, IMG, cv2.error("decoder")])]
        + [FakeCapture([IMG])]
    )

    def opener(url):
        attempts.append(clock.now)
        return plan[len(attempts) - 1]

    src = LiveSource(
        "rtsp://cam.example/1",
        sample_fps=1,
        clock=clock,
        opener=opener,
        drain=False,
        backoff=Backoff(initial=1, factor=2, maximum=8, offline_after=3),
    )
    assert src.kind == SourceKind.RTSP
    assert src.read() is None and src.health == Health.RECONNECTING and src.failures == 1
    clock.now = 0.5
    assert src.read() is None and len(attempts) == 1  # waiting out the 1 s back-off
    clock.now = 1.0
    assert src.read() is None and src.health == Health.RECONNECTING  # 2nd failure: next try in 2 s
    clock.now = 3.0
    assert src.read() is None and src.health == Health.OFFLINE and "cannot open" in src.last_error
    assert attempts == [0.0, 1.0, 3.0]
    clock.now = 7.0  # 3rd failure waited 4 s
    frame = src.read()
    assert frame is not None and src.health == Health.ONLINE and src.failures == 0 and src.last_error == ""
    clock.now = 7.5
    assert src.read() is None  # 1 frame per second: not due yet
    clock.now = 8.0
    assert src.read() is not None
    clock.now = 9.0
    assert src.read() is None and src.health == Health.RECONNECTING and "decoder" in src.last_error
    assert plan[3].released
    clock.now = 10.0
    assert src.read() is not None and src.health == Health.ONLINE


def test_snapshot_source_survives_garbage_and_unreachable_urls():
    clock = Clock()
    ok, jpeg = cv2.imencode(".jpg", np.full((8, 8, 3), 200, np.uint8))
    replies = [b"<html>not an image</html>", SourceError("snapshot unreachable: refused"), jpeg.tobytes()]

    def fetch(url, timeout):
        item = replies.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    src = LiveSource(
        "http://cam.example/snap.jpg", clock=clock, fetch=fetch, backoff=Backoff(initial=1, offline_after=2)
    )
    assert src.kind == SourceKind.SNAPSHOT
    assert src.read() is None and src.last_error == "snapshot is not an image"
    clock.now = 1
    assert src.read() is None and src.health == Health.OFFLINE and "refused" in src.last_error
    clock.now = 3
    frame = src.read()
    assert frame is not None and frame.image.shape == (8, 8, 3) and src.health == Health.ONLINE


def test_unreachable_real_stream_does_not_raise():
    # a closed local port: OpenCV/FFmpeg fails to open; read() reports instead of raising
    src = LiveSource("http://127.0.0.1:9/video.mjpg", kind="mjpeg", timeout=1)
    assert src.read() is None
    assert src.health == Health.RECONNECTING and src.last_error


def test_bad_urls_and_rates_are_clear_errors():
    with pytest.raises(SourceError):
        LiveSource("ftp://cam.example/x")
    with pytest.raises(SourceError):
        LiveSource("rtsp://cam.example/x", sample_fps=-1)
    with pytest.raises(ValueError):
        LiveSource("rtsp://cam.example/x", kind="carrier-pigeon")


class FakeStream:
    """A live capture at the OpenCV boundary: read() blocks until the test pushes a frame (as a camera
    delivers them at its own rate), or raises/ends when told; release() unblocks it."""

    def __init__(self, opened=True):
        self.opened, self.released = opened, False
        self.queue, self.cond, self.reads, self.thread_ids = [], threading.Condition(), 0, set()

    def isOpened(self):
        return self.opened

    def push(self, *items):
        with self.cond:
            self.queue.extend(items)
            self.cond.notify_all()

    def read(self):
        self.thread_ids.add(threading.get_ident())
        with self.cond:
            self.cond.wait_for(lambda: self.queue or self.released, timeout=1)  # a stalled stream times out
            if not self.queue:
                return False, None
            item = self.queue.pop(0)
            self.reads += 1
        if isinstance(item, Exception):
            raise item
        return (False, None) if item is None else (True, item)

    def release(self):
        with self.cond:
            self.released = True
            self.cond.notify_all()


def shade(n):
    return np.full((4, 4, 3), n, np.uint8)


def wait_until(condition, seconds=3.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_live_stream_is_drained_so_a_sample_is_the_newest_frame_not_a_buffered_one():
    clock, stream = Clock(), FakeStream()
    src = LiveSource("rtsp://cam.example/1", sample_fps=1, clock=clock, opener=lambda url: stream, timeout=1)
    assert src.drain  # the default for RTSP and MJPEG
    stream.push(shade(1))
    assert int(src.read().image[0, 0, 0]) == 1 and src.health == Health.ONLINE
    stream.push(*[shade(n) for n in range(2, 27)])  # a second of a 25 fps stream arrives meanwhile
    wait_until(lambda: stream.reads == 26)
    clock.now = 1.0
    frame = src.read()
    assert int(frame.image[0, 0, 0]) == 26 and frame.index == 1  # the newest, not frame 2 from the buffer
    assert threading.get_ident() not in stream.thread_ids  # OpenCV is read on the reader thread only
    stream.push(shade(27))
    wait_until(lambda: stream.reads == 27)
    clock.now = 1.5
    assert src.read() is None  # not due: 1 frame per second
    clock.now = 2.0
    assert int(src.read().image[0, 0, 0]) == 27
    src.close()
    stream.push(shade(28))  # the camera's next frame: the reader sees it was stopped and releases
    wait_until(lambda: stream.released)


def test_drained_stream_errors_and_stalls_keep_health_and_back_off():
    clock = Clock()
    streams = [FakeStream(opened=False), FakeStream(), FakeStream(), FakeStream(), FakeStream()]
    opened = []

    def opener(url):
        opened.append(clock.now)
        return streams[len(opened) - 1]

    src = LiveSource(
        "http://cam.example/video.mjpg",
        kind="mjpeg",
        clock=clock,
        opener=opener,
        timeout=0.2,
        backoff=Backoff(initial=1, factor=2, maximum=8, offline_after=3),
    )
    assert src.read() is None and src.health == Health.RECONNECTING and "cannot open" in src.last_error
    clock.now = 1.0
    streams[1].push(shade(5), cv2.error("decoder"))
    assert int(src.read().image[0, 0, 0]) == 5 and src.health == Health.ONLINE and src.failures == 0
    clock.now = 2.0
    assert src.read() is None and "decoder" in src.last_error and src.health == Health.RECONNECTING
    wait_until(lambda: streams[1].released)  # the reader thread released the broken capture
    clock.now = 2.5
    assert src.read() is None and len(opened) == 2  # waiting out the 1 s back-off
    clock.now = 3.0
    assert src.read() is None and "no new frame" in src.last_error  # stalled: opened, nothing comes
    assert src.health == Health.RECONNECTING and src.failures == 2
    wait_until(lambda: streams[2].released)
    clock.now = 5.0
    assert src.read() is None and src.health == Health.OFFLINE and src.failures == 3
    clock.now = 9.0
    streams[4].push(shade(9))
    assert (
        int(src.read().image[0, 0, 0]) == 9
        and src.health == Health.ONLINE
        and opened == [0.0, 1.0, 3.0, 5.0, 9.0]
    )
    src.close()
    streams[4].push(shade(10))
    wait_until(lambda: streams[4].released)
