"""The whole loop on a generated video: frames whose counts are known → a camera with a zone → exactly
one case for the persisting gathering, none for the brief spike; replays and restarts raise nothing twice."""

from datetime import timedelta

import pytest
from django.db.models import Max

from wangge.cases.models import Case
from wangge.vision import services, watch
from wangge.vision.models import AlertStatus, GatheringAlert, ZoneMinute, ZoneState
from wangge.vision.tests.helpers import (
    SCHEDULE,
    START,
    counts_per_second,
    fake_counter,
    file_camera,
    make_video,
    street,  # noqa: F401 - fixture
)


def test_the_detector_double_counts_the_generated_frames_exactly(street):  # noqa: F811
    from wangge.vision.sources import FileSource
    from wangge.vision.tests.helpers import ZONE
    from wangge.vision.zones import zone_polygon

    video = make_video(street["dir"] / "street.avi")
    counter, zone = fake_counter(), zone_polygon(ZONE, width=320, height=240)
    seen = [counter.count(f.image, zone).count for f in FileSource(video, sample_fps=1)]
    assert seen == counts_per_second()
    assert counter.count(FileSource(video).read().image).count == 1 + 2  # the two outside people too


def test_a_persisting_gathering_opens_exactly_one_case_and_a_brief_one_none(street):  # noqa: F811
    video = make_video(street["dir"] / "street.avi")
    camera, zone = file_camera(street, video)
    assert camera.grid.code == "A" and (camera.frame_width, camera.frame_height) == (320, 240)

    ticks = watch.play_file(camera=camera, start=START, counter=fake_counter())
    assert ticks == sum(s for s, _n in SCHEDULE) == 90

    alert = GatheringAlert.objects.get()  # exactly one: the 5-second spike at 10–14 s raised none
    gathering_start = START + timedelta(seconds=25)
    assert gathering_start <= alert.started_at <= gathering_start + timedelta(seconds=5)  # the median's lag
    assert alert.raised_at - alert.started_at >= timedelta(seconds=20)  # held for T
    assert alert.raised_at < START + timedelta(seconds=70)
    assert alert.cleared_at is not None and START + timedelta(seconds=70) <= alert.cleared_at <= START + timedelta(seconds=76)
    assert alert.peak == 7 and alert.status == AlertStatus.OPEN
    assert max(c for _t, c in alert.counts) == 7 and len(alert.detections) == 7
    assert alert.evidence.name and alert.evidence.read()[:2] == b"\xff\xd8"  # a JPEG

    case = Case.objects.get()
    assert alert.case == case
    assert (case.channel, case.category.code, case.state) == ("video", "SJ0808", "reported")
    assert (case.category.name, case.category.parent.code) == ("人员聚集", "SJ08")
    assert (case.category.department_kind, case.category.size) == ("urban_management", "coordinated")
    assert case.grid == camera.grid and (case.lon, case.lat) == pytest.approx((camera.lon, camera.lat))
    assert "人员聚集" in case.description and camera.name in case.description
    assert case.idempotency_key == alert.key

    # Counting history: one row per minute, with its peak; the hourly peak is 7.
    assert ZoneMinute.objects.filter(zone=zone).count() == 2
    assert ZoneMinute.objects.aggregate(m=Max("peak"))["m"] == 7
    state = ZoneState.objects.get(zone=zone)
    assert state.open_alert is None and state.last_count == 0


def test_replaying_the_video_or_losing_the_state_raises_no_second_alert(street):  # noqa: F811
    video = make_video(street["dir"] / "street.avi")
    camera, zone = file_camera(street, video)
    watch.play_file(camera=camera, start=START, counter=fake_counter())
    # The same ticks again (a worker restarted from an old position): every sample is stale.
    watch.play_file(camera=camera, start=START, counter=fake_counter())
    assert GatheringAlert.objects.count() == 1 and Case.objects.count() == 1
    # The persisted state lost entirely: the same gathering is found again, same key → same alert, same case.
    ZoneState.objects.all().delete()
    watch.play_file(camera=camera, start=START, counter=fake_counter())
    assert GatheringAlert.objects.count() == 1 and Case.objects.count() == 1


def test_a_crash_midway_resumes_from_the_saved_state(street):  # noqa: F811
    """Half the video, then a new worker (nothing in memory) continues from the persisted state."""
    from wangge.vision.sources import FileSource

    video = make_video(street["dir"] / "street.avi")
    camera, zone = file_camera(street, video)
    frames = list(FileSource(video, sample_fps=1))
    for f in frames[:40]:  # the gathering (25 s) is holding but not yet alerted (needs 20 s + median lag)
        services.analyse_camera_tick(camera=camera, image=f.image, at=START + timedelta(seconds=f.at), counter=fake_counter())
    assert GatheringAlert.objects.count() == 0
    assert ZoneState.objects.get(zone=zone).state["above_since"] is not None
    for f in frames[35:]:  # the new worker re-reads a few frames it cannot know were done
        services.analyse_camera_tick(camera=camera, image=f.image, at=START + timedelta(seconds=f.at), counter=fake_counter())
    assert GatheringAlert.objects.count() == 1 and Case.objects.count() == 1


def test_a_second_gathering_after_the_cool_down_opens_a_second_case(street):  # noqa: F811
    video = make_video(street["dir"] / "twice.avi", schedule=[(30, 7), (10, 0), (30, 7), (5, 0)])
    camera, _zone = file_camera(street, video, cooldown_seconds=5)
    watch.play_file(camera=camera, start=START, counter=fake_counter())
    assert GatheringAlert.objects.count() == 2 and Case.objects.count() == 2
    assert len({a.case_id for a in GatheringAlert.objects.all()}) == 2


def test_cool_down_keeps_a_quick_return_silent(street):  # noqa: F811
    video = make_video(street["dir"] / "twice.avi", schedule=[(30, 7), (10, 0), (30, 7), (5, 0)])
    camera, _zone = file_camera(street, video, cooldown_seconds=600)
    watch.play_file(camera=camera, start=START, counter=fake_counter())
    assert GatheringAlert.objects.count() == 1 and Case.objects.count() == 1


def test_outside_active_hours_nothing_is_raised(street):  # noqa: F811
    video = make_video(street["dir"] / "street.avi")
    camera, _zone = file_camera(street, video, active_from="20:00", active_until="06:00")  # START is 10:00
    watch.play_file(camera=camera, start=START, counter=fake_counter())
    assert GatheringAlert.objects.count() == 0 and Case.objects.count() == 0


def test_a_missing_category_keeps_the_alert_and_opens_the_case_later(street, settings):  # noqa: F811
    video = make_video(street["dir"] / "street.avi")
    camera, _zone = file_camera(street, video)
    settings.WANGGE_VISION_CATEGORY = "XX9999"
    watch.play_file(camera=camera, start=START, counter=fake_counter())
    alert = GatheringAlert.objects.get()
    assert alert.case is None and "XX9999" in alert.case_error and Case.objects.count() == 0
    settings.WANGGE_VISION_CATEGORY = "SJ0808"
    assert services.alerts_retry_cases() == 1
    assert services.alerts_retry_cases() == 0
    alert.refresh_from_db()
    assert alert.case is not None and Case.objects.count() == 1


def test_operator_confirms_and_dispatches_or_dismisses(street):  # noqa: F811
    from wangge.core.errors import Conflict

    video = make_video(street["dir"] / "twice.avi", schedule=[(30, 7), (10, 0), (30, 7), (5, 0)])
    camera, _zone = file_camera(street, video, cooldown_seconds=5)
    watch.play_file(camera=camera, start=START, counter=fake_counter())
    first, second = GatheringAlert.objects.order_by("started_at")
    op = street["users"]["operator"]
    police = street["j"].departments.get(code="police")
    services.alert_confirm(alert=first, actor=op, department_id=police.pk, note="确有聚集")
    first.refresh_from_db()
    assert first.status == AlertStatus.CONFIRMED and first.decided_by == op
    assert first.case.state == "dispatched" and first.case.lead_department == police
    services.alert_dismiss(alert=second, actor=op, reason="树影晃动")
    second.refresh_from_db()
    assert second.status == AlertStatus.DISMISSED and second.case.state == "rejected" and second.note == "树影晃动"
    with pytest.raises(Conflict):
        services.alert_dismiss(alert=first, actor=op, reason="again")
    assert GatheringAlert.objects.filter(status=AlertStatus.DISMISSED, camera=camera).count() == 1  # the labelled example
