"""Bad input to cameras and zones: a precise error, nothing written."""

import pytest
from django.db import IntegrityError, transaction

from wangge.core.errors import ApplicationError, Conflict, PermissionDenied
from wangge.vision import services
from wangge.vision.models import Camera, CameraHealth, Zone
from wangge.vision.tests.helpers import (
    START,
    ZONE,
    fake_counter,
    file_camera,
    frame,
    inside_point,
    make_video,
    street,  # noqa: F401 - fixture
)


def register(street, **kw):  # noqa: F811
    p = inside_point()
    args = {"jurisdiction": street["j"], "actor": street["users"]["admin"], "name": "南门", "lon": p.x, "lat": p.y,
            "kind": "rtsp", "stream_url": "rtsp://10.0.0.8/live"}
    args.update(kw)
    return services.camera_register(**args)


@pytest.mark.parametrize(("changes", "code"), [
    ({"kind": "rtsp", "stream_url": "http://10.0.0.8/live"}, "camera_bad_url"),
    ({"kind": "snapshot", "stream_url": "ftp://cam/x.jpg"}, "camera_bad_url"),
    ({"kind": "smoke", "stream_url": "rtsp://x"}, "camera_bad_kind"),
    ({"kind": "file", "stream_url": "/etc/passwd"}, "camera_bad_url"),
    ({"kind": "file", "stream_url": "missing.avi"}, "camera_bad_url"),
    ({"stream_url": "  "}, "camera_bad_url"),
    ({"name": " "}, "camera_bad_name"),
    ({"lon": 121.0, "lat": 31.0}, "outside_jurisdiction"),
    ({"lon": float("nan")}, "camera_bad_location"),
    ({"lon": "east"}, "camera_bad_location"),
    ({"sample_fps": 0}, "camera_bad_rate"),
    ({"sample_fps": 100}, "camera_bad_rate"),
])
def test_bad_cameras_are_refused_with_a_reason(street, changes, code):  # noqa: F811
    with pytest.raises(ApplicationError) as err:
        register(street, **changes)
    assert err.value.code == code and err.value.message
    assert Camera.objects.count() == 0


def test_camera_gets_its_grid_and_names_are_unique(street):  # noqa: F811
    camera = register(street)
    assert camera.grid.code == "A" and camera.health == CameraHealth.RECONNECTING
    with pytest.raises(Conflict):
        register(street)
    with pytest.raises(ApplicationError) as err:
        services.camera_update(camera=camera, actor=street["users"]["admin"], lon=121.0, lat=31.0)
    assert err.value.code == "outside_jurisdiction"
    camera.refresh_from_db()
    assert camera.grid.code == "A"


@pytest.mark.parametrize("role", ["operator", "leader", "worker", "handler"])
def test_only_administrators_register_cameras(street, role):  # noqa: F811
    with pytest.raises(PermissionDenied):
        register(street, actor=street["users"][role])
    assert Camera.objects.count() == 0


def test_snapshot_of_an_unreachable_or_garbage_stream_is_a_clear_error(street):  # noqa: F811
    junk = street["dir"] / "junk.avi"
    junk.write_bytes(b"not a video at all" * 50)
    camera = register(street, kind="file", stream_url=str(junk))
    with pytest.raises(ApplicationError) as err:
        services.camera_snapshot(camera=camera, actor=street["users"]["operator"])
    assert err.value.code == "snapshot_failed" and "readable" in err.value.message
    camera.refresh_from_db()
    assert camera.health == CameraHealth.OFFLINE and camera.last_error and not camera.last_frame


@pytest.mark.parametrize(("changes", "code"), [
    ({"polygon": [[10, 10], [400, 10], [200, 200]]}, "zone_outside_frame"),
    ({"polygon": [[10, 10], [200, 200], [200, 10], [10, 200]]}, "zone_self_intersecting"),
    ({"polygon": [[10, 10], [20, 20]]}, "zone_too_few_points"),
    ({"polygon": "everywhere"}, "zone_bad_point"),
    ({"polygon": [[10, "a"], [20, 20], [30, 5]]}, "zone_bad_point"),
    ({"alert_level": 3, "clear_level": 5}, "alert_rule_invalid"),
    ({"alert_level": 4, "clear_level": 4}, "alert_rule_invalid"),
    ({"alert_level": 0, "clear_level": 0}, "alert_rule_invalid"),
    ({"hold_seconds": -5}, "alert_rule_invalid"),
    ({"alert_level": "many"}, "alert_rule_invalid"),
    ({"active_from": "08:00", "active_until": None}, "alert_rule_invalid"),
    ({"active_from": "25:00", "active_until": "06:00"}, "alert_rule_invalid"),
    ({"name": ""}, "zone_bad_name"),
])
def test_bad_zones_are_refused_with_a_reason(street, changes, code):  # noqa: F811
    camera, _zone = file_camera(street, make_video(street["dir"] / "v.avi", schedule=[(2, 1)]))
    args = {"camera": camera, "actor": street["users"]["admin"], "name": "新区", "polygon": ZONE, "alert_level": 5,
            "clear_level": 3}
    args.update(changes)
    with pytest.raises(ApplicationError) as err:
        services.zone_save(**args)
    assert err.value.code == code and err.value.message
    assert Zone.objects.count() == 1


def test_a_zone_needs_a_snapshot_first_and_the_database_keeps_clear_below_alert(street):  # noqa: F811
    camera = register(street)
    with pytest.raises(ApplicationError) as err:
        services.zone_save(camera=camera, actor=street["users"]["admin"], name="z", polygon=ZONE, alert_level=5,
                           clear_level=3)
    assert err.value.code == "zone_no_snapshot"
    with pytest.raises(IntegrityError), transaction.atomic():
        Zone.objects.create(camera=camera, name="raw", polygon=ZONE, alert_level=3, clear_level=5)


def test_a_bad_frame_is_refused_and_stale_ticks_are_ignored(street):  # noqa: F811
    from wangge.vision.counting import VisionError

    camera, zone = file_camera(street, make_video(street["dir"] / "v.avi", schedule=[(2, 1)]))
    with pytest.raises(VisionError):
        services.analyse_camera_tick(camera=camera, image=frame(1)[:, :, 0], at=START, counter=fake_counter())
    first = services.analyse_camera_tick(camera=camera, image=frame(3), at=START, counter=fake_counter())
    assert [(t.zone_id, t.count) for t in first] == [(zone.pk, 3)]
    again = services.analyse_camera_tick(camera=camera, image=frame(9), at=START, counter=fake_counter())
    assert again[0].event is None and zone.state.last_count == 3


def test_the_real_counter_runs_through_the_tick(street, real_model):  # noqa: F811
    """The tick with the real SSDLite counter (no double): a plain street-grey frame holds nobody."""
    import numpy as np

    from wangge.vision.counting import build_counter

    camera, zone = file_camera(street, make_video(street["dir"] / "v.avi", schedule=[(2, 1)]))
    grey = np.full((240, 320, 3), 110, np.uint8)
    ticks = services.analyse_camera_tick(camera=camera, image=grey, at=START, counter=build_counter(real_model))
    assert [(t.zone_id, t.count, t.event) for t in ticks] == [(zone.pk, 0, None)]
