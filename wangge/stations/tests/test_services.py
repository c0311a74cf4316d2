"""Services and selectors: stations inside the street, hours, permissions, the nearest-open query, feedback floods,
anonymous check-ins, pledges and their follow-up."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from wangge.core.errors import ApplicationError, PermissionDenied
from wangge.routing.coords import from_wgs84
from wangge.stations import selectors, services
from wangge.stations.models import HoursException, OpeningHours, Station, StationCheckIn, StationFeedback
from wangge.stations.tests.conftest import ALL_DAY, at, local, make_station

NOON = local(2026, 12, 2, 12)  # a Wednesday
TWO_AM = local(2026, 12, 2, 2)


def nearest(street, amenities=(), now=NOON, **kw):
    c = street["centre"]
    return selectors.stations_nearest(jurisdiction=street["j"], lon=c.x, lat=c.y,
                                      amenities=services.amenity_mask(list(amenities)), now=now, **kw)


def test_a_station_is_located_in_its_grid_and_outside_places_are_refused(territory):
    s = make_station(territory, "A 格驿站", 100, 100, ["water"])
    assert s.grid.code == "A" and s.amenity_codes == ["water"]
    outside = at(3000, 3000)
    with pytest.raises(ApplicationError) as exc:
        services.station_create(jurisdiction=territory, actor=None, name="外面", lon=outside.x, lat=outside.y)
    assert exc.value.code == "outside_jurisdiction"
    with pytest.raises(ApplicationError) as exc:
        services.station_create(jurisdiction=territory, actor=None, name="x", lon=s.lon, lat=s.lat, amenities=["beer"])
    assert exc.value.code == "unknown_amenity" and "beer" in exc.value.message
    assert Station.objects.count() == 1


def test_gcj02_input_is_stored_as_wgs84(territory):
    p = at(300, 300)
    glon, glat = from_wgs84(p.x, p.y, "gcj02")
    s = services.station_create(jurisdiction=territory, actor=None, name="高德坐标", lon=glon, lat=glat, crs="gcj02")
    assert abs(s.lon - p.x) < 1e-7 and abs(s.lat - p.y) < 1e-7


def test_nearest_open_with_an_amenity(street):
    s = street["s"]
    rows = nearest(street, ["microwave"])
    assert [r["name"] for r in rows] == ["全天驿站"]  # the night one is closed at noon, the no-hours one always
    assert 190 <= rows[0]["distance_m"] <= 210 and rows[0]["open_now"] and rows[0]["all_day"]
    assert rows[0]["directions_url"].startswith("https://uri.amap.com/navigation?to=")
    rows = nearest(street, ["microwave"], now=TWO_AM)
    assert [r["name"] for r in rows] == ["夜间驿站", "全天驿站"]  # 22:00–06:00 is open at 02:00
    assert rows[0]["open_until"] == local(2026, 12, 2, 6)
    assert [r["name"] for r in nearest(street, now=TWO_AM)] == ["近处驿站", "夜间驿站", "全天驿站"]
    assert [r["name"] for r in nearest(street, ["water", "toilet"])] == ["近处驿站"]
    # closed right now (live status) drops out; full stays, flagged
    services.station_status_set(station=s["day"], actor=street["users"]["host"], status="closed")
    assert nearest(street, ["microwave"]) == []
    services.station_status_set(station=s["day"], actor=street["users"]["host"], status="full")
    assert nearest(street, ["microwave"])[0]["live_status"] == "full"
    # open_now=False lists every station with the amenities, nearest first
    assert [r["name"] for r in nearest(street, ["microwave"], open_now=False)] == ["未开驿站", "夜间驿站", "全天驿站"]


def test_a_holiday_closure_hides_the_station_that_day(street):
    s = street["s"]["day"]
    day = timezone.localdate() + timedelta(days=2)
    services.station_exception_set(station=s, actor=street["users"]["host"], day=day, note="检修")
    noon = local(day.year, day.month, day.day, 12)
    assert nearest(street, ["microwave"], now=noon) == []
    assert nearest(street, ["microwave"], now=noon + timedelta(days=1))[0]["name"] == "全天驿站"
    assert nearest(street, ["microwave"], now=noon - timedelta(days=1))[0]["name"] == "全天驿站"


def test_the_radius_grows_until_enough_stations_are_found(street):
    far = make_station(street["j"], "远处驿站", 980, 980, ["repair"], ALL_DAY)
    rows = nearest(street, ["repair"])
    assert [r["id"] for r in rows] == [far.pk] and rows[0]["distance_m"] > 600
    assert nearest(street, ["umbrella"]) == []


def test_nearest_reads_a_bounded_number_of_queries(street):
    for i in range(30):
        make_station(street["j"], f"驿站{i}", 100 + i * 25, 200, ["water"], ALL_DAY)
    with CaptureQueriesContext(connection) as ctx:
        rows = nearest(street, ["water"], limit=5)
    assert len(rows) == 5
    assert len(ctx.captured_queries) <= 10, [q["sql"] for q in ctx.captured_queries]


def test_outside_search_point_is_refused(street):
    with pytest.raises(ApplicationError) as exc:
        selectors.stations_nearest(jurisdiction=street["j"], lon=120.0, lat=30.0)
    assert exc.value.code == "outside_jurisdiction"
    near_edge = at(-500, 500)  # 500 m west of the street: riders at the edge still get its stations
    assert selectors.stations_nearest(jurisdiction=street["j"], lon=near_edge.x, lat=near_edge.y, now=NOON)


def test_rider_point_accepts_gps_and_map_links(street):
    c = street["centre"]
    glon, glat = from_wgs84(c.x, c.y, "gcj02")
    lon, lat = selectors.rider_point(link=f"https://uri.amap.com/marker?position={glon},{glat}")
    assert abs(lon - c.x) < 1e-6 and abs(lat - c.y) < 1e-6
    lon, lat = selectors.rider_point(lon=glon, lat=glat, crs="gcj02")
    assert abs(lon - c.x) < 1e-6
    for bad in ({}, {"lon": "abc", "lat": "1"}, {"lon": 1, "lat": 2, "crs": "utm"}, {"lon": float("nan"), "lat": 1.0, "crs": "gcj02"}):
        with pytest.raises(ApplicationError):
            selectors.rider_point(**bad)


def test_hours_edits_are_validated_whole_and_scoped_to_the_host(street):
    s, users = street["s"], street["users"]
    before = list(OpeningHours.objects.filter(station=s["day"]).values_list("weekday", "start", "end"))
    for week, words in [({0: "08:00-08:00"}, "equals opening"), ({0: "08:00-12:00, 11:00-14:00"}, "overlaps"),
                        ({0: "25:00-26:00"}, "not a time of day"), ({0: "22:00-06:00", 1: "05:00-09:00"}, "overlaps"),
                        ({9: "08:00-12:00"}, "does not exist")]:
        with translation.override("en"), pytest.raises(ApplicationError, match=words):
            services.station_hours_set(station=s["day"], actor=users["host"], week=week)
    assert list(OpeningHours.objects.filter(station=s["day"]).values_list("weekday", "start", "end")) == before
    with pytest.raises(PermissionDenied):
        services.station_hours_set(station=s["day"], actor=users["host2"], week={0: "08:00-09:00"})
    with pytest.raises(PermissionDenied):
        services.station_status_set(station=s["day"], actor=users["worker"], status="closed")
    services.station_hours_set(station=s["day"], actor=users["host"], week={0: "08:00-12:00, 13:00-18:00", 6: ""})
    assert OpeningHours.objects.filter(station=s["day"]).count() == 2
    services.station_hours_set(station=s["near"], actor=users["operator"], week={0: "09:00-10:00"})  # staff: any station
    services.station_status_set(station=s["near"], actor=users["union"], status="full")
    with translation.override("en"), pytest.raises(ApplicationError, match="Unknown status"):
        services.station_status_set(station=s["near"], actor=users["union"], status="party")


def test_exceptions(street):
    s, host = street["s"]["day"], street["users"]["host"]
    day = timezone.localdate() + timedelta(days=3)
    e = services.station_exception_set(station=s, actor=host, day=day, hours="10:00-16:00", note="节日")
    assert not e.closed and (e.start, e.end) == (600, 960)
    e = services.station_exception_set(station=s, actor=host, day=day)  # the same day again: replaced, closed
    assert e.closed and HoursException.objects.filter(station=s).count() == 1
    for hours, code in [("10:00-10:00", "invalid_hours"), ("08:00-09:00, 10:00-11:00", "invalid_hours")]:
        with pytest.raises(ApplicationError) as exc:
            services.station_exception_set(station=s, actor=host, day=day, hours=hours)
        assert exc.value.code == code
    with translation.override("en"), pytest.raises(ApplicationError, match="passed"):
        services.station_exception_set(station=s, actor=host, day=timezone.localdate() - timedelta(days=5))
    services.station_exception_delete(station=s, actor=host, exception_id=e.pk)
    assert not HoursException.objects.exists()


def test_feedback_is_throttled_per_source(street, settings):
    settings.WANGGE_STATION_FEEDBACK_RATE = "2/600"
    s = street["s"]["day"]
    key = services.source_key_for(ip="10.0.0.9")
    services.feedback_submit(station=s, text="很好", kind="praise", rating=5, source_key=key)
    services.feedback_submit(station=s, text="微波炉坏了", kind="problem", phone="13912345678", source_key=key)
    with pytest.raises(services.Throttled) as exc:
        services.feedback_submit(station=s, text="第三条", source_key=key)
    assert exc.value.status == 429
    services.feedback_submit(station=s, text="另一个人", source_key=services.source_key_for(ip="10.0.0.10"))
    for bad in ({"text": ""}, {"text": "x", "rating": 6}, {"text": "x", "kind": "rant"}, {"text": "x", "phone": "call me"}):
        with pytest.raises(ApplicationError):
            services.feedback_submit(station=s, **bad)
    for number in ("123-4567", "1381234567", "021-1234"):  # digits and dashes, but neither a mobile nor a fixed line
        with pytest.raises(ApplicationError) as info:
            services.feedback_submit(station=s, text="x", phone=number, source_key=services.source_key_for(ip="10.0.0.11"))
        assert info.value.code == "invalid_phone"
    assert StationFeedback.objects.count() == 3
    station = services.station_create(jurisdiction=s.jurisdiction, actor=None, name="新驿站", lon=s.lon, lat=s.lat,
                                      phone="021-6276 1234")
    assert station.phone == "021-62761234"  # kept as written (without spaces), for riders to read
    rows = selectors.feedback_for(station=s, unmasked=False)
    assert "13912345678" not in str(rows) and "139****5678" in str(rows)


def test_checkins_are_anonymous_counted_once_per_half_hour_and_per_hour(street, settings):
    settings.WANGGE_STATION_CHECKIN_RATE = "3/3600"
    s = street["s"]
    row, created = services.checkin_record(station=s["day"], ip="10.1.1.1")
    assert created and len(row.visitor) == 32 and "10.1.1.1" not in row.visitor
    _row, created = services.checkin_record(station=s["day"], ip="10.1.1.1")
    assert not created
    services.checkin_record(station=s["near"], ip="10.1.1.1")
    services.checkin_record(station=s["night"], ip="10.1.1.1")
    with pytest.raises(services.Throttled):
        services.checkin_record(station=s["nohours"], ip="10.1.1.1")
    services.checkin_record(station=s["day"], ip="10.1.1.2")
    assert StationCheckIn.objects.count() == 4
    # Two riders behind one carrier address, each with their browser's visitor cookie, count apart.
    assert services.checkin_record(station=s["near"], ip="10.7.7.7", token="a" * 32)[1]
    assert services.checkin_record(station=s["near"], ip="10.7.7.7", token="b" * 32)[1]
    assert not services.checkin_record(station=s["near"], ip="10.7.7.7", token="b" * 32)[1]
    StationCheckIn.objects.filter(visitor__in=[
        services._visitor("t:" + "a" * 32, timezone.localdate()), services._visitor("t:" + "b" * 32, timezone.localdate())
    ]).delete()
    stats = selectors.checkin_stats(jurisdiction=street["j"])
    by_station = {r["station"]: r for r in stats["stations"]}
    hour = timezone.localtime().hour
    assert by_station["全天驿站"]["total"] == 2 and by_station["全天驿站"]["hours"][hour] == 2


def test_pledges_active_nearby_masked_and_followed_up(street, pledges):
    c, users = street["centre"], street["users"]
    public = selectors.pledges_nearby(jurisdiction=street["j"], lon=c.x, lat=c.y)
    assert [p["merchant"] for p in public] == ["老长寿面馆"]  # the expired one is not offered to riders
    assert public[0]["contact_phone"] == "138****5678" and public[0]["contact_name"] == "李**"
    staff = selectors.pledges_nearby(jurisdiction=street["j"], lon=c.x, lat=c.y, staff=True)
    assert staff[0]["contact_phone"] == "13812345678"
    data = selectors.pledges_for_staff(jurisdiction=street["j"], unmasked=True)
    assert [p["merchant"] for p in data["follow_up"]] == ["阿强理发"]
    with pytest.raises(PermissionDenied):
        services.pledge_follow_up(pledge=pledges["expired"], actor=users["host"], note="打过电话")
    with translation.override("en"), pytest.raises(ApplicationError, match="required"):
        services.pledge_follow_up(pledge=pledges["expired"], actor=users["union"], note=" ")
    services.pledge_follow_up(pledge=pledges["expired"], actor=users["union"], note="商户同意续签")
    assert selectors.pledges_for_staff(jurisdiction=street["j"], unmasked=True)["follow_up"] == []
    renewed = services.pledge_follow_up(pledge=pledges["expired"], actor=users["operator"], note="续签一年",
                                        renew_until=timezone.localdate() + timedelta(days=365))
    assert renewed.valid_until > timezone.localdate()
    assert len(selectors.pledges_nearby(jurisdiction=street["j"], lon=c.x, lat=c.y)) == 2
    with translation.override("en"), pytest.raises(ApplicationError, match="ends before"):
        services.pledge_create(jurisdiction=street["j"], actor=users["union"], merchant="m", kind="other", text="t",
                               valid_from=timezone.localdate(), valid_until=timezone.localdate() - timedelta(days=1),
                               lon=c.x, lat=c.y)
    with pytest.raises(PermissionDenied):
        services.pledge_create(jurisdiction=street["j"], actor=users["host"], merchant="m", kind="other", text="t",
                               valid_from=timezone.localdate(), valid_until=None, lon=c.x, lat=c.y)
