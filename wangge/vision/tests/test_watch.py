"""The watcher: several cameras in one loop; an unreachable, garbage or failing camera is reported on that
camera and the others go on; the scheduler's jobs; the vision_watch command's arguments."""

from datetime import datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from wangge.vision import services, tasks
from wangge.vision.models import CameraHealth, GatheringAlert, ZoneState
from wangge.vision.sources import Backoff, LiveSource
from wangge.vision.tests.helpers import (
    fake_counter,
    file_camera,
    inside_point,
    make_video,
    street,  # noqa: F401 - fixture
)
from wangge.vision.watch import Watcher


class Clock:
    def __init__(self):
        self.now = datetime.fromisoformat("2026-03-02T10:00:00+08:00")

    def __call__(self):
        return self.now


class DeadCapture:
    def isOpened(self):
        return False

    def release(self):
        pass


def test_one_watcher_keeps_going_when_other_cameras_fail(street):  # noqa: F811
    good, good_zone = file_camera(street, make_video(street["dir"] / "good.avi", schedule=[(40, 7)]))
    admin = street["users"]["admin"]
    p = inside_point(200, 200)
    dead = services.camera_register(jurisdiction=street["j"], actor=admin, name="断线", lon=p.x, lat=p.y,
                                    kind="rtsp", stream_url="rtsp://10.9.9.9/none")
    junk = street["dir"] / "junk.avi"
    junk.write_bytes(b"garbage" * 200)
    garbage = services.camera_register(jurisdiction=street["j"], actor=admin, name="乱码", lon=p.x, lat=p.y,
                                       kind="file", stream_url=str(junk))

    def factory(camera):
        if camera.pk == dead.pk:  # no network in tests: a capture that never opens, no back-off wait
            return LiveSource(camera.stream_url, kind="rtsp", backoff=Backoff(initial=0, maximum=0, offline_after=2),
                              opener=lambda url: DeadCapture())
        return services.open_source(camera)

    clock = Clock()
    watcher = Watcher([good, dead, garbage], counter=fake_counter(), source_factory=factory, clock=clock)
    frames = 0
    for _ in range(40):
        frames += watcher.step()
        clock.now += timedelta(seconds=1)
    assert frames == 40  # the good camera, one frame a second, all along
    assert GatheringAlert.objects.filter(zone=good_zone).count() == 1
    dead.refresh_from_db()
    garbage.refresh_from_db()
    good.refresh_from_db()
    assert dead.health == CameraHealth.OFFLINE and "cannot open" in dead.last_error
    assert garbage.health == CameraHealth.OFFLINE and "readable" in garbage.last_error
    assert good.health == CameraHealth.ONLINE and good.last_error == ""


def test_a_camera_whose_analysis_crashes_does_not_stop_the_others(street, monkeypatch):  # noqa: F811
    one, zone_one = file_camera(street, make_video(street["dir"] / "a.avi", schedule=[(5, 2)]), name="一号")
    two, zone_two = file_camera(street, make_video(street["dir"] / "b.avi", schedule=[(5, 2)]), name="二号")

    class Exploding:
        def detect(self, image):
            raise RuntimeError("model crashed")

    counters = {one.pk: Exploding(), two.pk: fake_counter()}
    clock = Clock()
    watcher = Watcher([one, two], counter=None, clock=clock)
    original = services.analyse_camera_tick

    def tick(**kw):
        return original(**{**kw, "counter": counters[kw["camera"].pk]})

    monkeypatch.setattr(services, "analyse_camera_tick", tick)
    for _ in range(5):
        watcher.step()
        clock.now += timedelta(seconds=1)
    one.refresh_from_db()
    assert one.health == CameraHealth.RECONNECTING and "model crashed" in one.last_error
    assert ZoneState.objects.get(zone=zone_two).last_sample_at is not None
    assert not ZoneState.objects.filter(zone=zone_one).exists()


def test_the_scheduler_enqueues_one_job_per_batch_and_a_late_job_is_skipped(street, settings, monkeypatch):  # noqa: F811
    for name in ("一号", "二号", "三号"):
        file_camera(street, make_video(street["dir"] / f"{name}.avi", schedule=[(2, 1)]), name=name)
    settings.WANGGE_VISION_CAMERAS_PER_JOB = 2
    sent = []
    real_batch = tasks.vision_watch_batch

    class Recorder:  # the task objects are frozen: stand in for them at the module
        def __init__(self, name):
            self.name = name

        def enqueue(self, *args):
            sent.append(args or self.name)

    monkeypatch.setattr(tasks, "vision_watch_batch", Recorder("watch"))
    monkeypatch.setattr(tasks, "vision_purge_task", Recorder("purge"))
    assert tasks.vision_enqueue(seconds=60) == 2
    assert [len(s[0]) for s in sent[:2]] == [2, 1] and sent[2] == "purge"
    late = (datetime.fromisoformat("2026-01-01T00:00:00+00:00")).isoformat()
    assert real_batch.call([1, 2], 5, late) == {"skipped": True, "frames": 0}


def test_vision_watch_command_checks_its_shard():
    with pytest.raises(CommandError):
        call_command("vision_watch", shard="2/2")
    with pytest.raises(CommandError):
        call_command("vision_watch", shard="x")
