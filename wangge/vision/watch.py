"""Watching cameras: one loop reads its share of cameras' sources in turn and feeds each sampled frame to
`services.analyse_camera_tick`. One process (or one background task) watches several cameras; more
processes watch more (`--shard i/n`, or one task per batch of camera ids). A broken stream or a failing
camera is reported on that camera (health, last error) and the loop goes on with the others.
"""

from __future__ import annotations

import logging
import time as _time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.utils import timezone

from . import services
from .counting import TiledCounter
from .models import Camera, CameraHealth, CameraKind
from .sources import FileSource, SourceError

log = logging.getLogger(__name__)


def play_file(*, camera: Camera, start: datetime, counter: TiledCounter | None = None) -> int:
    """Play a file camera's whole video through the analysis, sample k at `start` + its media time
    (as fast as the machine goes: for tests and replays). Returns the number of frames analysed."""
    source = services.open_source(camera)
    ticks = 0
    try:
        for frame in source:
            services.analyse_camera_tick(camera=camera, image=frame.image, at=start + timedelta(seconds=frame.at),
                                         counter=counter)
            ticks += 1
    finally:
        source.close()
    return ticks


class Watcher:
    """Round-robin over cameras; each read is non-blocking for live sources (they sample at their own rate).
    File cameras are paced by their media time and loop at the end (a test camera plays forever)."""

    def __init__(self, cameras: Iterable[Camera], *, counter: TiledCounter | None = None,
                 source_factory: Callable = services.open_source, clock: Callable[[], datetime] = timezone.now):
        self.cameras = {c.pk: c for c in cameras}
        self.counter = counter
        self.source_factory = source_factory
        self.clock = clock
        self.sources: dict[int, object] = {}
        self.started: dict[int, datetime] = {}
        self.health: dict[int, str] = {}

    def _source(self, camera: Camera):
        source = self.sources.get(camera.pk)
        if source is None:
            source = self.source_factory(camera)
            self.sources[camera.pk], self.started[camera.pk] = source, self.clock()
        return source

    def _report(self, camera: Camera, health: str, error: str = "") -> None:
        if self.health.get(camera.pk) != health or error:
            services.camera_health_set(camera=camera, health=health, error=error)
        self.health[camera.pk] = health

    def step(self) -> int:
        """Give every camera one chance to deliver a frame; returns how many frames were analysed."""
        done = 0
        for camera in list(self.cameras.values()):
            try:
                done += self._step_camera(camera)
            except Exception as exc:  # one camera's trouble never stops the others
                log.exception("vision: camera %s failed", camera.pk)
                self.close_source(camera.pk)
                message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
                try:
                    self._report(camera, CameraHealth.RECONNECTING, str(message)[:300])
                except Exception:  # the database itself may be the trouble
                    log.exception("vision: could not record camera %s health", camera.pk)
        return done

    def _step_camera(self, camera: Camera) -> int:
        now = self.clock()
        if camera.kind == CameraKind.FILE:
            try:
                source = self._source(camera)
            except SourceError as exc:
                self._report(camera, CameraHealth.OFFLINE, exc.message)
                return 0
            assert isinstance(source, FileSource)
            due = self.started[camera.pk] + timedelta(seconds=source._samples / source.sample_fps)
            if now < due:
                return 0
            frame = source.read()
            if frame is None:  # the end of the test video: play it again
                self.close_source(camera.pk)
                return 0
            at = self.started[camera.pk] + timedelta(seconds=frame.at)
        else:
            source = self._source(camera)
            frame = source.read()
            if frame is None:
                if source.health != CameraHealth.ONLINE:
                    self._report(camera, source.health, source.last_error)
                return 0
            at = now
        services.analyse_camera_tick(camera=camera, image=frame.image, at=at, counter=self.counter)
        self.health[camera.pk] = CameraHealth.ONLINE
        return 1

    def close_source(self, pk: int) -> None:
        source = self.sources.pop(pk, None)
        if source is not None:
            try:
                source.close()
            except Exception:
                log.exception("vision: closing camera %s", pk)

    def run(self, *, seconds: float | None = None, idle_sleep: float = 0.05) -> int:
        deadline = None if seconds is None else _time.monotonic() + seconds
        total = 0
        try:
            while deadline is None or _time.monotonic() < deadline:
                done = self.step()
                total += done
                if not done:
                    _time.sleep(idle_sleep)
        finally:
            for pk in list(self.sources):
                self.close_source(pk)
        return total


def cameras_for_shard(*, shard: int = 0, shards: int = 1, ids: list[int] | None = None):
    qs = Camera.objects.filter(active=True).select_related("jurisdiction").order_by("pk")
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return [c for c in qs if c.pk % shards == shard]
