"""Frame sources through OpenCV: RTSP, MJPEG over HTTP, HTTP snapshots and video files.

* `FileSource` plays a video file deterministically by its own timeline: at `sample_fps` it returns
  the frame at media time 0, 1/fps, 2/fps, ... until the end of the file (then `None`, `ended`).
  It is the test and replay source; a file that is not a video raises `SourceError` at once.
* `LiveSource` reads a camera (RTSP / MJPEG through `cv2.VideoCapture`, or a JPEG snapshot URL fetched
  per sample). `read()` never raises for a stream problem: it returns `None` and the source's
  `health` says what is going on (online / reconnecting / offline) with `last_error`. A broken
  stream is reopened with exponential back-off; after `offline_after` failed attempts in a row the
  source is offline (it keeps trying, at the longest back-off).
* A live stream (RTSP / MJPEG) is drained by a `LatestFrameReader` thread: OpenCV buffers decoded
  frames, so sampling 1 frame/s from a 25 fps stream with plain `read()` calls would hand out frames
  ever further in the past. The thread keeps reading and holds only the newest frame; a sample takes
  that one (and waits up to `timeout` for a fresh one). A stream error or a stall is the same failure
  as before, with the same health state and back-off. Files keep their deterministic sampling.

Clock, sleeping and the OpenCV opener are injectable so tests run without cameras or waiting.
"""

from __future__ import annotations

import enum
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .counting import VisionError


class SourceError(VisionError):
    code = "vision_source_error"


class Health(enum.StrEnum):
    ONLINE = "online"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"


class SourceKind(enum.StrEnum):
    RTSP = "rtsp"
    MJPEG = "mjpeg"
    SNAPSHOT = "snapshot"
    FILE = "file"


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # BGR
    at: float  # seconds: media time for files, the source clock for live sources
    index: int  # the number of this sample (0, 1, 2, ...)


def _check_fps(sample_fps: float) -> float:
    if not sample_fps > 0:
        raise SourceError("The sampling rate must be more than 0 frames per second.", code="vision_bad_rate")
    return float(sample_fps)


def _default_opener(url: str) -> Any:
    import cv2

    return cv2.VideoCapture(url)


class FileSource:
    """A video file played by media time; deterministic (same file, same rate → same frames)."""

    def __init__(
        self, path: str | Path, *, sample_fps: float = 1.0, opener: Callable[[str], Any] = _default_opener
    ):
        import cv2

        self.sample_fps = _check_fps(sample_fps)
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"Video file not found: {self.path}", code="vision_source_missing")
        self._cap = opener(str(self.path))
        ok, first = self._cap.read() if self._cap is not None and self._cap.isOpened() else (False, None)
        if not ok or first is None:
            self.close()
            raise SourceError(f"Not a readable video: {self.path.name}", code="vision_source_unreadable")
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.file_fps = fps if 0 < fps < 1000 else 25.0  # some containers do not say: assume PAL
        self._pending: np.ndarray | None = first
        self._frame_no = 0  # index in the file of `_pending`
        self._samples = 0
        self.ended = False

    def read(self) -> Frame | None:
        """The next sampled frame, or None at the end of the file.

        Sample k is due at media time k / sample_fps and shows the frame on screen then:
        frame number floor(k / sample_fps × file_fps)."""
        if self.ended:
            return None
        target = int(self._samples / self.sample_fps * self.file_fps + 1e-6)
        while self._frame_no < target:
            ok, img = self._cap.read()
            if not ok or img is None:
                self.ended = True
                self.close()
                return None
            self._pending, self._frame_no = img, self._frame_no + 1
        assert self._pending is not None
        frame = Frame(image=self._pending, at=self._frame_no / self.file_fps, index=self._samples)
        self._samples += 1
        return frame

    def __iter__(self):
        while (frame := self.read()) is not None:
            yield frame

    def close(self) -> None:
        if getattr(self, "_cap", None) is not None:
            self._cap.release()


class LatestFrameReader:
    """Drains an opened capture on a daemon thread and keeps only the newest frame.

    The capture is used (read and released) by the reader thread only; `stop()` asks the thread to end
    and release it. `latest(after=seq, timeout=...)` waits for a frame newer than `seq`."""

    def __init__(self, cap: Any, *, name: str = "wangge-vision-reader") -> None:
        self._cap = cap
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._image: np.ndarray | None = None
        self.seq = 0  # frames read from the stream so far
        self.error = ""
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    ok, image = self._cap.read()
                except Exception as exc:  # OpenCV/FFmpeg errors end this reader; the source reconnects
                    self._end(f"stream error: {exc}")
                    return
                if not ok or image is None or getattr(image, "size", 0) == 0:
                    self._end("stream gave no frame")
                    return
                with self._cond:
                    self._image, self.seq = image, self.seq + 1
                    self._cond.notify_all()
        finally:
            try:
                self._cap.release()
            except Exception:  # noqa: S110 - releasing a broken capture must not kill the thread noisily
                pass

    def _end(self, message: str) -> None:
        with self._cond:
            self.error = message
            self._cond.notify_all()

    def latest(self, *, after: int, timeout: float) -> tuple[int, np.ndarray | None, str]:
        """(seq, image, error): the newest frame if newer than `after` (waiting up to `timeout`), else
        (seq, None, error) with error "" for a stall."""
        with self._cond:
            self._cond.wait_for(lambda: self.seq > after or self.error, timeout=timeout)
            if self.seq > after:
                return self.seq, self._image, ""
            return self.seq, None, self.error

    def stop(self, *, wait: float = 0.0) -> None:
        """Ask the thread to end; it releases the capture after its current read (never blocks by default,
        so a stalled stream cannot hold up the watch loop)."""
        self._stop.set()
        if wait > 0 and threading.current_thread() is not self._thread:
            self._thread.join(wait)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


@dataclass(frozen=True)
class Backoff:
    initial: float = 1.0
    factor: float = 2.0
    maximum: float = 60.0
    offline_after: int = 5  # failed attempts in a row

    def delay(self, failures: int) -> float:
        return min(self.maximum, self.initial * self.factor ** max(0, failures - 1))


class LiveSource:
    """A camera stream or snapshot URL, sampled at `sample_fps`; never raises for stream trouble."""

    def __init__(
        self,
        url: str,
        *,
        kind: SourceKind | str | None = None,
        sample_fps: float = 1.0,
        backoff: Backoff | None = None,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        opener: Callable[[str], Any] = _default_opener,
        fetch: Callable[[str, float], bytes] | None = None,
        drain: bool | None = None,
    ) -> None:
        self.url = url
        self.kind = SourceKind(kind) if kind else _guess_kind(url)
        self.sample_fps = _check_fps(sample_fps)
        self.backoff = backoff or Backoff()
        self.timeout = timeout
        self._clock, self._opener, self._fetch = clock, opener, fetch or _http_get
        self._cap: Any = None
        # RTSP / MJPEG: a reader thread keeps only the newest frame (drain=False: read on demand).
        self.drain = self.kind in (SourceKind.RTSP, SourceKind.MJPEG) if drain is None else bool(drain)
        self._reader: LatestFrameReader | None = None
        self._seen = 0  # the reader's seq of the last frame handed out
        self.failures = 0
        self.retry_at = 0.0
        self.health = Health.RECONNECTING
        self.last_error = ""
        self._next_sample = 0.0
        self._samples = 0

    # --- state ------------------------------------------------------------------------------------
    def _failed(self, message: str) -> None:
        self.failures += 1
        self.last_error = message
        self.health = Health.OFFLINE if self.failures >= self.backoff.offline_after else Health.RECONNECTING
        self.retry_at = self._clock() + self.backoff.delay(self.failures)
        self._release()

    def _ok(self) -> None:
        self.failures = 0
        self.health = Health.ONLINE
        self.last_error = ""

    def _release(self) -> None:
        if self._reader is not None:
            reader, self._reader = self._reader, None
            reader.stop()  # the reader thread releases its capture
        if self._cap is not None:
            try:
                self._cap.release()
            finally:
                self._cap = None

    # --- reading ----------------------------------------------------------------------------------
    def read(self) -> Frame | None:
        """The next sample when one is due and the source delivers; otherwise None (see `health`)."""
        now = self._clock()
        if now < self.retry_at or now < self._next_sample:
            return None
        image = self._grab_snapshot() if self.kind == SourceKind.SNAPSHOT else self._grab_stream()
        if image is None:
            return None
        self._ok()
        frame = Frame(image=image, at=now, index=self._samples)
        self._samples += 1
        period = 1.0 / self.sample_fps
        self._next_sample += period
        if self._next_sample <= now:  # fell behind (start, outage): the next one a period from now
            self._next_sample = now + period
        return frame

    def _grab_latest(self) -> np.ndarray | None:
        if self._reader is None:
            try:
                cap = self._opener(self.url)
                if cap is None or not cap.isOpened():
                    if cap is not None:
                        cap.release()
                    self._failed(f"cannot open stream {self.kind.value}")
                    return None
            except Exception as exc:
                self._failed(f"stream error: {exc}")
                return None
            self._reader, self._seen = LatestFrameReader(cap), 0
        seq, image, error = self._reader.latest(after=self._seen, timeout=self.timeout)
        if image is None:
            self._failed(error or f"stream gave no new frame in {self.timeout:g} s")
            return None
        self._seen = seq
        return image

    def _grab_stream(self) -> np.ndarray | None:
        if self.drain:
            return self._grab_latest()
        try:
            if self._cap is None:
                cap = self._opener(self.url)
                if cap is None or not cap.isOpened():
                    if cap is not None:
                        cap.release()
                    self._failed(f"cannot open stream {self.kind.value}")
                    return None
                self._cap = cap
            ok, image = self._cap.read()
        except Exception as exc:  # OpenCV/FFmpeg errors must not reach the caller
            self._failed(f"stream error: {exc}")
            return None
        if not ok or image is None or getattr(image, "size", 0) == 0:
            self._failed("stream gave no frame")
            return None
        return image

    def _grab_snapshot(self) -> np.ndarray | None:
        import cv2

        try:
            data = self._fetch(self.url, self.timeout)
        except Exception as exc:
            self._failed(f"snapshot request failed: {exc}")
            return None
        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR) if data else None
        if image is None:
            self._failed("snapshot is not an image")
            return None
        return image

    def close(self) -> None:
        self._release()


def _guess_kind(url: str) -> SourceKind:
    lower = url.lower()
    if lower.startswith(("rtsp://", "rtsps://")):
        return SourceKind.RTSP
    if lower.startswith(("http://", "https://")):
        return (
            SourceKind.SNAPSHOT
            if lower.split("?")[0].endswith((".jpg", ".jpeg", ".png"))
            else SourceKind.MJPEG
        )
    raise SourceError("Camera URL must start with rtsp://, http:// or https://.", code="vision_bad_url")


def _http_get(url: str, timeout: float) -> bytes:
    if not url.lower().startswith(("http://", "https://")):
        raise SourceError("Snapshot URL must be http(s).", code="vision_bad_url")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - scheme checked above
            return resp.read(20 * 1024 * 1024)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise SourceError(f"snapshot unreachable: {exc}", code="vision_source_unreachable") from exc
