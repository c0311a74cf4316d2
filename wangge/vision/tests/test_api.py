"""Cameras, zones, the wall and alerts over HTTP and as pages: who may see and do what, bad input as 4xx."""

from datetime import timedelta

import pytest
from django.test import Client

from wangge.cases.services import case_act
from wangge.vision import selectors, services, watch
from wangge.vision.models import Camera, GatheringAlert, Zone
from wangge.vision.tests.helpers import (
    START,
    ZONE,
    fake_counter,
    file_camera,
    inside_point,
    make_video,
    street,  # noqa: F401 - fixture
)


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def post(c, url, data=None):
    return c.post(url, data or {}, content_type="application/json")


@pytest.fixture
def alerted(street):  # noqa: F811
    camera, zone = file_camera(street, make_video(street["dir"] / "street.avi"))
    watch.play_file(camera=camera, start=START, counter=fake_counter())
    return {**street, "camera": camera, "zone": zone, "alert": GatheringAlert.objects.get()}


def test_admin_registers_a_camera_and_draws_a_zone_over_the_api(street):  # noqa: F811
    c = client(street["users"]["admin"])
    video = make_video(street["dir"] / "v.avi", schedule=[(2, 1)])
    p = inside_point()
    r = post(
        c,
        "/api/v1/vision/cameras",
        {"name": "北门", "lon": p.x, "lat": p.y, "kind": "file", "stream_url": video},
    )
    assert r.status_code == 201, r.content
    camera = r.json()
    assert camera["grid"] == "A" and camera["frame_url"] is None
    r = post(
        c,
        f"/api/v1/vision/cameras/{camera['id']}/zones",
        {"name": "z", "polygon": ZONE, "alert_level": 5, "clear_level": 3},
    )
    assert r.status_code == 422 and r.json()["code"] == "zone_no_snapshot"
    r = post(c, f"/api/v1/vision/cameras/{camera['id']}/snapshot")
    assert r.status_code == 200 and r.json()["frame_width"] == 320
    assert c.get(f"/api/v1/vision/cameras/{camera['id']}/frame").status_code == 200
    r = post(
        c,
        f"/api/v1/vision/cameras/{camera['id']}/zones",
        {"name": "z", "polygon": ZONE, "alert_level": 5, "clear_level": 3},
    )
    assert r.status_code == 201 and r.json()["polygon"] == ZONE
    zone_id = r.json()["id"]
    r = c.put(
        f"/api/v1/vision/zones/{zone_id}",
        {"name": "z", "polygon": ZONE, "alert_level": 3, "clear_level": 6},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["code"] == "alert_rule_invalid"
    assert Zone.objects.get(pk=zone_id).alert_level == 5
    r = c.patch(
        f"/api/v1/vision/cameras/{camera['id']}", {"lon": 121.0, "lat": 31.0}, content_type="application/json"
    )
    assert r.status_code == 422 and r.json()["code"] == "outside_jurisdiction"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"polygon": [[0, 0], [999, 0], [0, 999]]}, "zone_outside_frame"),
        ({"polygon": [[10, 10], [200, 200], [200, 10], [10, 200]]}, "zone_self_intersecting"),
        ({"alert_level": 2, "clear_level": 8}, "alert_rule_invalid"),
        ({"polygon": "x"}, "invalid_request"),
    ],
)
def test_bad_zones_over_the_api_are_422_and_nothing_changes(street, body, code):  # noqa: F811
    camera, _zone = file_camera(street, make_video(street["dir"] / "v.avi", schedule=[(2, 1)]))
    data = {"name": "新", "polygon": ZONE, "alert_level": 5, "clear_level": 3, **body}
    r = post(client(street["users"]["admin"]), f"/api/v1/vision/cameras/{camera.pk}/zones", data)
    assert r.status_code == 422 and r.json()["code"] == code
    assert Zone.objects.count() == 1


def test_bad_camera_over_the_api_is_422(street):  # noqa: F811
    r = post(
        client(street["users"]["admin"]),
        "/api/v1/vision/cameras",
        {"name": "远方", "lon": 121.0, "lat": 31.0, "kind": "rtsp", "stream_url": "rtsp://x/y"},
    )
    assert r.status_code == 422 and r.json()["code"] == "outside_jurisdiction"
    r = post(
        client(street["users"]["admin"]),
        "/api/v1/vision/cameras",
        {
            "name": "坏",
            "lon": inside_point().x,
            "lat": inside_point().y,
            "kind": "rtsp",
            "stream_url": "http://x",
        },
    )
    assert r.status_code == 422 and r.json()["code"] == "camera_bad_url"
    assert Camera.objects.count() == 0


def test_wall_alerts_and_hourly_peaks_for_the_operator(alerted):
    c = client(alerted["users"]["operator"])
    wall = c.get("/api/v1/vision/wall").json()
    assert wall[0]["camera"]["health"] == "online" and wall[0]["zones"][0]["count"] == 0
    assert len(wall[0]["zones"][0]["last_hour"]) == 61
    alerts = c.get("/api/v1/vision/alerts?status=open").json()
    assert alerts["count"] == 1 and alerts["items"][0]["case"] == alerted["alert"].case.code
    detail = c.get(f"/api/v1/vision/alerts/{alerted['alert'].pk}").json()
    assert max(n for _t, n in detail["counts"]) == 7
    r = c.get(f"/api/v1/vision/alerts/{alerted['alert'].pk}/evidence")
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    url = f"/api/v1/vision/zones/{alerted['zone'].pk}/hourly"
    hourly = c.get(url, {"since": "2026-03-02T00:00:00+08:00", "until": "2026-03-03T00:00:00+08:00"}).json()
    assert hourly["hours"] == [{"hour": "2026-03-02T10:00:00+08:00", "peak": 7}]
    assert c.get(url).json()["hours"] == []  # the last 24 hours: nothing
    r = c.get(url, {"since": "2026-03-03T00:00:00+08:00", "until": "2026-03-02T00:00:00+08:00"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_range"
    # The wall's sparkline: the last hour's per-minute peaks, as of a minute after the video.
    rows = selectors.wall(
        user=alerted["users"]["operator"], jurisdiction=alerted["j"], now=START + timedelta(minutes=2)
    )
    series = rows[0]["zones"][0]["series"]
    assert len(series) == 61 and series[-3:] == [7, 7, 0] and rows[0]["zones"][0]["spark"]


def test_confirm_and_dismiss_over_the_api(alerted):
    c = client(alerted["users"]["operator"])
    alert = alerted["alert"]
    r = post(c, f"/api/v1/vision/alerts/{alert.pk}/actions/dismiss", {"reason": ""})
    assert r.status_code == 422
    urban = alerted["j"].departments.get(code="urban")
    r = post(c, f"/api/v1/vision/alerts/{alert.pk}/actions/confirm", {"department_id": urban.pk})
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    alert.case.refresh_from_db()
    assert alert.case.state == "dispatched" and alert.case.lead_department == urban
    r = post(c, f"/api/v1/vision/alerts/{alert.pk}/actions/dismiss", {"reason": "late"})
    assert r.status_code == 409


@pytest.mark.parametrize("role", ["worker", "leader"])
def test_grid_workers_and_leaders_get_403(alerted, role):
    c = client(alerted["users"][role])
    alert = alerted["alert"]
    for url in [
        "/api/v1/vision/wall",
        "/api/v1/vision/cameras",
        "/api/v1/vision/alerts",
        f"/api/v1/vision/alerts/{alert.pk}/evidence",
        f"/api/v1/vision/cameras/{alerted['camera'].pk}/frame",
        "/vision/",
        "/vision/cameras/",
        f"/vision/alerts/{alert.pk}/",
        f"/vision/alerts/{alert.pk}/evidence.jpg",
    ]:
        assert c.get(url).status_code == 403, url
    assert post(c, f"/api/v1/vision/alerts/{alert.pk}/actions/confirm").status_code == 403
    alert.refresh_from_db()
    assert alert.status == "open"


def test_operator_cannot_register_cameras_or_draw_zones(alerted):
    c = client(alerted["users"]["operator"])
    p = inside_point()
    r = post(
        c,
        "/api/v1/vision/cameras",
        {"name": "x", "lon": p.x, "lat": p.y, "kind": "rtsp", "stream_url": "rtsp://a/b"},
    )
    assert r.status_code == 403
    r = post(
        c,
        f"/api/v1/vision/cameras/{alerted['camera'].pk}/zones",
        {"name": "y", "polygon": ZONE, "alert_level": 5, "clear_level": 3},
    )
    assert r.status_code == 403 and Zone.objects.count() == 1


def test_a_handler_sees_only_the_evidence_of_their_department_s_case(alerted):
    alert, users = alerted["alert"], alerted["users"]
    handler = users["handler"]  # works for 城管 (urban)
    c = client(handler)
    assert c.get("/api/v1/vision/alerts").json()["count"] == 0
    assert c.get(f"/api/v1/vision/alerts/{alert.pk}/evidence").status_code == 404
    assert c.get(f"/vision/alerts/{alert.pk}/evidence.jpg").status_code == 404
    assert c.get("/api/v1/vision/wall").status_code == 403  # live frames are for the operations centre
    urban = alerted["j"].departments.get(code="urban")
    case_act(case_id=alert.case_id, actor=users["operator"], action="accept")
    case_act(
        case_id=alert.case_id,
        actor=users["operator"],
        action="dispatch",
        payload={"lead_department_id": urban.pk},
    )
    assert c.get("/api/v1/vision/alerts").json()["count"] == 1
    assert c.get(f"/api/v1/vision/alerts/{alert.pk}/evidence").status_code == 200
    assert c.get(f"/vision/alerts/{alert.pk}/").status_code == 200
    assert post(c, f"/api/v1/vision/alerts/{alert.pk}/actions/dismiss", {"reason": "no"}).status_code == 403


def test_pages_for_the_operator_and_the_admin(alerted):
    op = client(alerted["users"]["operator"])
    page = op.get("/vision/").content.decode()
    assert alerted["camera"].name in page and "polygon" in page and "spark" in page
    assert op.get("/vision/", HTTP_HX_REQUEST="true").content.decode().lstrip().startswith("<article")
    assert op.get(f"/vision/alerts/{alerted['alert'].pk}/").status_code == 200
    assert op.get(f"/vision/alerts/{alerted['alert'].pk}/evidence.jpg").status_code == 200
    assert op.get(f"/vision/cameras/{alerted['camera'].pk}/frame.jpg").status_code == 200
    assert op.post("/vision/cameras/", {"name": "x"}).status_code == 403
    admin = client(alerted["users"]["admin"])
    admin.cookies["django_language"] = "en"  # the refusals are translated; read the English ones
    r = admin.post(
        "/vision/cameras/",
        {"name": "远", "lon": "121.0", "lat": "31.0", "kind": "rtsp", "stream_url": "rtsp://a/b"},
    )
    assert r.status_code == 422 and "outside this jurisdiction" in r.content.decode()
    r = admin.post(
        f"/vision/cameras/{alerted['camera'].pk}/",
        {
            "name": "坏区",
            "polygon": "[[1,1],[300,200],[300,1],[1,200]]",
            "alert_level": "5",
            "clear_level": "3",
        },
    )
    assert r.status_code == 422 and "crosses itself" in r.content.decode()
    r = admin.post(
        f"/vision/cameras/{alerted['camera'].pk}/",
        {"name": "好区", "polygon": "[[1,1],[300,1],[300,200]]", "alert_level": "5", "clear_level": "3"},
    )
    assert r.status_code == 302 and Zone.objects.filter(name="好区").exists()


def test_purge_removes_old_evidence_and_history_but_keeps_the_labelled_alert(alerted, settings):
    alert = alerted["alert"]
    services.alert_dismiss(alert=alert, actor=alerted["users"]["operator"], reason="节日活动")
    settings.WANGGE_VISION_EVIDENCE_DAYS = 30
    assert services.vision_purge(now=alert.raised_at + timedelta(days=29)) == {"evidence": 0, "minutes": 0}
    result = services.vision_purge(now=alert.raised_at + timedelta(days=181))
    assert result["evidence"] == 1 and result["minutes"] == 2
    alert.refresh_from_db()
    assert not alert.evidence and alert.evidence_purged and alert.status == "dismissed" and alert.counts
    r = client(alerted["users"]["operator"]).get(f"/api/v1/vision/alerts/{alert.pk}/evidence")
    assert r.status_code == 404


def test_the_wall_reads_a_fixed_number_of_queries_whatever_the_number_of_cameras(
    alerted, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    op = alerted["users"]["operator"]
    with CaptureQueriesContext(connection) as one:
        selectors.wall(user=op, jurisdiction=alerted["j"])
    for name in ("二号", "三号"):
        file_camera(alerted, make_video(alerted["dir"] / f"{name}.avi", schedule=[(2, 1)]), name=name)
    with django_assert_max_num_queries(len(one)):
        rows = selectors.wall(user=op, jurisdiction=alerted["j"])
    assert len(rows) == 3


def test_admin_changes_an_existing_zone_on_the_editor_page_with_the_same_checks(street):  # noqa: F811
    camera, zone = file_camera(
        street, make_video(street["dir"] / "street.avi"), active_from="08:00", active_until="20:00"
    )
    admin, url = client(street["users"]["admin"]), f"/vision/cameras/{camera.pk}/"
    admin.cookies["django_language"] = "en"  # the refusals are translated; read the English ones
    page = admin.get(f"{url}?zone={zone.pk}").content.decode()
    editor = page.split('id="zone-form"')[1]  # the form, prefilled with the zone
    assert (
        f'name="zone" value="{zone.pk}"' in editor and 'value="08:00"' in editor and "[[10.0, 10.0]" in editor
    )
    assert admin.get(f"{url}?zone=999999").status_code == 404
    good = {
        "zone": str(zone.pk),
        "name": "广场东",
        "polygon": "[[5,5],[300,5],[300,230],[5,230]]",
        "alert_level": "8",
        "clear_level": "4",
        "hold_seconds": "45",
        "window_seconds": "10",
        "cooldown_seconds": "900",
        "active_from": "07:30",
        "active_until": "22:00",
    }
    for bad, reason in [
        ({"clear_level": "9"}, "clear"),
        ({"polygon": "[[1,1],[300,200],[300,1],[1,200]]"}, "crosses itself"),
        ({"polygon": "[[1,1],[5000,1],[5000,200]]"}, "outside"),
    ]:
        r = admin.post(url, {**good, **bad})
        assert r.status_code == 422 and reason in r.content.decode().lower()
        assert (
            f'name="zone" value="{zone.pk}"' in r.content.decode().split('id="zone-form"')[1]
        )  # still editing it
        zone.refresh_from_db()
        assert (zone.name, zone.alert_level) == ("广场", 5)  # unchanged
    assert admin.post(url, {**good, "zone": "999999"}).status_code == 404
    r = admin.post(url, good)
    assert r.status_code == 302 and Zone.objects.filter(camera=camera).count() == 1
    zone.refresh_from_db()
    assert (
        zone.name,
        zone.alert_level,
        zone.clear_level,
        zone.hold_seconds,
        zone.window_seconds,
        zone.cooldown_seconds,
    ) == ("广场东", 8, 4, 45, 10, 900)
    assert zone.polygon == [[5, 5], [300, 5], [300, 230], [5, 230]]
    assert (zone.active_from.strftime("%H:%M"), zone.active_until.strftime("%H:%M")) == ("07:30", "22:00")
    assert client(street["users"]["operator"]).post(url, good).status_code == 403
