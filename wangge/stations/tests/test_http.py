"""Stations over HTTP: public pages and endpoints need no account and never answer 500 on bad input; hosts edit
only their stations; staff see pledges and statistics; personal data is masked outside staff scope."""

import json

import pytest
from django.test import Client

from wangge.routing.coords import from_wgs84
from wangge.stations.models import OpeningHours, Station, StationCheckIn, StationFeedback


def logged_in(user, language: str | None = None) -> Client:
    c = Client()
    c.force_login(user)
    if language:
        c.cookies["django_language"] = language
    return c


def english() -> Client:
    """A client reading English (zh-hans is the default), for assertions on a message's wording."""
    c = Client()
    c.cookies["django_language"] = "en"
    return c


def q(point, **extra) -> dict:
    return {"lon": point.x, "lat": point.y, **extra}


def test_api_nearest_with_amenities_and_a_gcj02_link(street, pledges):
    c = street["centre"]
    r = Client().get("/api/v1/stations/nearest", q(c, amenities="water,toilet"))
    assert r.status_code == 200, r.content
    body = r.json()
    assert [s["name"] for s in body["stations"]] == ["近处驿站"]
    s = body["stations"][0]
    assert s["distance_m"] == 20 and s["open_now"] and s["url"].endswith(f"/stations/{s['id']}/")
    assert [p["merchant"] for p in body["pledges"]] == ["老长寿面馆"]
    assert body["pledges"][0]["contact_phone"] == "138****5678"
    glon, glat = from_wgs84(c.x, c.y, "gcj02")
    r = Client().get("/api/v1/stations/nearest", {"link": f"https://uri.amap.com/marker?position={glon},{glat}",
                                                  "amenities": "water,toilet"})
    assert r.status_code == 200 and r.json()["stations"][0]["distance_m"] == 20
    assert abs(r.json()["lon"] - c.x) < 1e-6


@pytest.mark.parametrize("params, status, code", [
    ({"lon": 120.0, "lat": 30.0}, 422, "outside_jurisdiction"),
    ({"amenities": "water,beer"}, 422, "unknown_amenity"),
    ({"crs": "utm"}, 422, "invalid_coordinates"),
    ({"lon": "east"}, 422, "invalid_request"),
    ({"lon": None, "lat": None, "link": "https://example.com/nothing"}, 422, "invalid_location_link"),
    ({"lon": None, "lat": None}, 422, "invalid_coordinates"),
    ({"jurisdiction": "NOPE"}, 404, "not_found"),
])
def test_api_nearest_bad_input_is_a_precise_4xx(street, params, status, code):
    c = street["centre"]
    data = {k: v for k, v in {**q(c), **params}.items() if v is not None}
    r = Client().get("/api/v1/stations/nearest", data)
    assert r.status_code == status, r.content
    assert r["Content-Type"] == "application/problem+json" and r.json()["code"] == code


def test_api_detail_feedback_checkin(street, settings):
    settings.WANGGE_STATION_FEEDBACK_RATE = "2/600"
    s = street["s"]["day"]
    r = Client().get(f"/api/v1/stations/{s.pk}")
    assert r.status_code == 200 and len(r.json()["week"]) == 7 and r.json()["week"][0]["intervals"] == ["00:00–24:00"]
    assert Client().get("/api/v1/stations/999999").status_code == 404
    c = Client()
    url = f"/api/v1/stations/{s.pk}/feedback"
    assert c.post(url, {"text": "很干净", "kind": "praise", "rating": 5}, content_type="application/json").status_code == 201
    assert c.post(url, {"text": "没有热水", "kind": "problem"}, content_type="application/json").status_code == 201
    r = c.post(url, {"text": "第三条"}, content_type="application/json")
    assert r.status_code == 429 and r.json()["code"] == "throttled" and int(r["Retry-After"]) > 0
    for bad in ({"text": ""}, {"text": "x", "rating": 9}, {"text": "x", "kind": "rant"}, {"text": "x", "phone": "call"}):
        assert Client(REMOTE_ADDR="10.9.9.9").post(url, bad, content_type="application/json").status_code == 422
    assert c.post(url, "not json", content_type="application/json").status_code in (400, 422)
    assert StationFeedback.objects.count() == 2
    r = c.post(f"/api/v1/stations/{s.pk}/checkins")
    assert r.status_code == 201 and r.json()["counted"]
    r = c.post(f"/api/v1/stations/{s.pk}/checkins")
    assert r.status_code == 200 and not r.json()["counted"]
    assert StationCheckIn.objects.count() == 1


def test_api_host_status_and_hours(street):
    s, users = street["s"], street["users"]
    url = f"/api/v1/stations/{s['day'].pk}/actions/set-status"
    assert Client().post(url, {"status": "full"}, content_type="application/json").status_code == 401
    r = logged_in(users["host2"]).post(url, {"status": "full"}, content_type="application/json")
    assert r.status_code == 403
    r = logged_in(users["host"]).post(url, {"status": "full", "note": "午高峰"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["live_status"] == "full"
    r = logged_in(users["host"]).post(url, {"status": "party"}, content_type="application/json")
    assert r.status_code == 422
    hours = f"/api/v1/stations/{s['day'].pk}/hours"
    before = OpeningHours.objects.filter(station=s["day"]).count()
    r = logged_in(users["host"], "en").put(hours, {"week": {"0": "22:00-06:00", "1": "05:00-08:00"}},
                                           content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "invalid_hours" and "overlaps" in r.json()["detail"]
    assert OpeningHours.objects.filter(station=s["day"]).count() == before
    r = logged_in(users["host"]).put(hours, {"week": {"0": "08:00-20:00"}}, content_type="application/json")
    assert r.status_code == 200 and r.json()["week"][0]["intervals"] == ["08:00–20:00"]
    assert logged_in(users["host"]).put(f"/api/v1/stations/{s['near'].pk}/hours", {"week": {"0": "08:00-20:00"}},
                                        content_type="application/json").status_code == 403


def test_api_pledges_and_stats_scope(street, pledges):
    c, users = street["centre"], street["users"]
    public = Client().get("/api/v1/stations/pledges/nearby", q(c)).json()
    assert public[0]["contact_phone"] == "138****5678"
    staff = logged_in(users["union"]).get("/api/v1/stations/pledges/nearby", q(c)).json()
    assert staff[0]["contact_phone"] == "13812345678"
    assert Client().get("/api/v1/stations/pledges/nearby", q(c, radius_m="nan")).status_code == 200
    assert Client().get("/api/v1/stations/pledges/nearby", q(c, lon="inf")).status_code == 422
    host = logged_in(users["host"]).get("/api/v1/stations/pledges/nearby", q(c)).json()
    assert host[0]["contact_phone"] == "138****5678"
    Client().post(f"/api/v1/stations/{street['s']['day'].pk}/checkins")
    Client(REMOTE_ADDR="10.0.0.2").post(f"/api/v1/stations/{street['s']['near'].pk}/checkins")
    assert Client().get("/api/v1/stations/stats").status_code == 401
    r = logged_in(users["operator"]).get("/api/v1/stations/stats")
    assert r.status_code == 200 and sum(s["total"] for s in r.json()["stations"]) == 2
    r = logged_in(users["host"]).get("/api/v1/stations/stats")  # a host sees their own stations only
    assert r.status_code == 200 and [s["station"] for s in r.json()["stations"]] == ["全天驿站"]
    assert logged_in(users["host"]).get("/api/v1/stations/stats", {"station": street["s"]["near"].pk}).status_code == 403
    assert logged_in(users["worker"]).get("/api/v1/stations/stats").status_code == 403


def test_finder_page_renders_results_and_errors(street):
    c = street["centre"]
    r = Client().get("/stations/")
    assert r.status_code == 200 and 'id="station-finder"' in r.content.decode()
    r = Client().get("/stations/", {**q(c), "amenity": ["water", "toilet"]})
    html = r.content.decode()
    assert r.status_code == 200 and 'class="station-result"' in html and "近处驿站" in html and "20 米" in html
    assert "uri.amap.com/navigation" in html
    r = english().get("/stations/", {**q(c), "amenity": "beer"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422 and "Unknown amenity" in r.content.decode() and "<html" not in r.content.decode()
    r = Client().get("/stations/", {"lon": 120.0, "lat": 30.0})
    assert r.status_code == 422 and 'id="finder-error"' in r.content.decode()
    r = Client().get("/stations/", {"link": "garbage"})
    assert r.status_code == 422


def test_station_page_feedback_checkin_and_poster(street, settings):
    settings.WANGGE_STATION_FEEDBACK_RATE = "1/600"
    s = street["s"]["day"]
    c = Client()
    r = c.get(f"/stations/{s.pk}/?checkin=1")
    assert r.status_code == 200 and 'id="checkin-button"' in r.content.decode()
    assert c.cookies["wg_visitor"].value and c.cookies["wg_visitor"]["httponly"]
    r = c.post(f"/stations/{s.pk}/checkin/")
    assert r.status_code == 200 and StationCheckIn.objects.count() == 1
    other = Client()  # another phone behind the same address
    other.get(f"/stations/{s.pk}/")
    assert other.post(f"/stations/{s.pk}/checkin/").status_code == 200 and StationCheckIn.objects.count() == 2
    assert c.post(f"/stations/{s.pk}/checkin/").status_code == 200 and StationCheckIn.objects.count() == 2
    r = c.post(f"/stations/{s.pk}/feedback/", {"text": "很好", "kind": "praise", "rating": "5", "phone": "13912345678"})
    assert r.status_code == 302 and StationFeedback.objects.count() == 1
    r = c.get(r["Location"])
    assert 'id="station-notice"' in r.content.decode() and "13912345678" not in r.content.decode()
    r = c.post(f"/stations/{s.pk}/feedback/", {"text": "再来一条", "kind": "praise"})
    assert r.status_code == 429 and r["Retry-After"] and StationFeedback.objects.count() == 1
    assert "再来一条" in r.content.decode()  # what the rider typed is kept in the form
    r = Client(REMOTE_ADDR="10.2.2.2").post(f"/stations/{s.pk}/feedback/", {"text": "x", "rating": "abc"})
    assert r.status_code == 422
    r = c.get(f"/stations/{s.pk}/poster/")
    html = r.content.decode()
    assert r.status_code == 200 and "<svg" in html and f"/stations/{s.pk}/?checkin=1" in html
    assert Client().get("/stations/999999/").status_code == 404
    Station.objects.filter(pk=s.pk).update(active=False)
    assert Client().get(f"/stations/{s.pk}/").status_code == 404


def test_host_console_scope_and_edits(street):
    s, users = street["s"], street["users"]
    assert Client().get("/stations/host/").status_code == 302  # login first
    host = logged_in(users["host"])
    r = host.get("/stations/host/")
    assert r.status_code == 200 and "全天驿站" in r.content.decode() and "近处驿站" not in r.content.decode()
    assert host.get(f"/stations/host/{s['near'].pk}/").status_code == 403
    assert logged_in(users["worker"]).get("/stations/host/").status_code == 403
    assert host.post(f"/stations/host/{s['near'].pk}/status/", {"status": "closed"}).status_code == 403
    r = host.post(f"/stations/host/{s['day'].pk}/status/", {"status": "closed", "note": "停电"})
    assert r.status_code == 302 and Station.objects.get(pk=s["day"].pk).live_status == "closed"
    r = logged_in(users["host"], "en").post(f"/stations/host/{s['day'].pk}/hours/",
                                            {"day0": "08:00-08:00", "day1": "09:00-18:00"})
    assert r.status_code == 422 and "equals opening" in r.content.decode() and 'value="08:00-08:00"' in r.content.decode()
    r = host.post(f"/stations/host/{s['day'].pk}/hours/", {f"day{w}": "07:00-23:00" for w in range(7)})
    assert r.status_code == 302 and OpeningHours.objects.filter(station=s["day"]).count() == 7
    r = host.post(f"/stations/host/{s['day'].pk}/amenities/", {"amenity": ["water", "beer"]})
    assert r.status_code == 422 and Station.objects.get(pk=s["day"].pk).amenity_codes == ["charging", "water", "microwave"]
    r = host.post(f"/stations/host/{s['day'].pk}/amenities/", {"amenity": ["water", "toilet"]})
    assert r.status_code == 302 and Station.objects.get(pk=s["day"].pk).amenity_codes == ["water", "toilet"]
    assert host.post(f"/stations/host/{s['day'].pk}/exception/", {"date": "not-a-date"}).status_code == 422
    assert host.post(f"/stations/host/{s['day'].pk}/exception/", {"date": "2099-01-01", "closed": "1"}).status_code == 302
    assert host.post(f"/stations/host/{s['day'].pk}/exception-delete/", {"exception": "abc"}).status_code in (404, 422)
    assert host.post(f"/stations/host/{s['day'].pk}/explode/").status_code == 404
    r = logged_in(users["operator"]).get(f"/stations/host/{s['near'].pk}/")
    assert r.status_code == 200


def test_pledge_map_for_staff_only(street, pledges):
    users = street["users"]
    assert logged_in(users["host"]).get("/stations/pledges/").status_code == 403
    assert logged_in(users["worker"]).get("/stations/pledges/").status_code == 403
    r = logged_in(users["union"]).get("/stations/pledges/")
    html = r.content.decode()
    assert r.status_code == 200 and "阿强理发" in html and "13900001111" in html
    assert 'for="pledge-contact">联系人</label>' in html  # the name field, not a second "联系电话"
    data = json.loads(html.split('id="pledge-data" type="application/json">')[1].split("</script>")[0])
    assert len(data["pledges"]) == 2 and "contact_phone" not in data["pledges"][0]
    url = f"/stations/pledges/{pledges['expired'].pk}/follow-up/"
    r = logged_in(users["leader"]).post(url, {"note": "看一下"})
    assert r.status_code == 403  # the leader reads, does not edit
    r = logged_in(users["union"]).post(url, {"note": ""})
    assert r.status_code == 422
    r = logged_in(users["union"]).post(url, {"note": "已电话回访", "renew_until": "bad"})
    assert r.status_code == 422
    r = logged_in(users["union"]).post(url, {"note": "已电话回访"})
    assert r.status_code == 302
    r = logged_in(users["union"]).get("/stations/pledges/")
    assert 'data-pledge-id' not in r.content.decode()


def test_staff_open_stations_and_record_pledges(street):
    users, c = street["users"], street["centre"]
    body = {"name": "新驿站", "amenities": ["water", "wifi"], "lon": c.x, "lat": c.y,
            "week": {"0": "22:00-06:00", "6": "00:00-24:00"}}
    assert Client().post("/api/v1/stations", body, content_type="application/json").status_code == 401
    assert logged_in(users["host"]).post("/api/v1/stations", body, content_type="application/json").status_code == 403
    n = Station.objects.count()
    bad = logged_in(users["union"]).post("/api/v1/stations", {**body, "week": {"0": "06:00-06:00"}},
                                         content_type="application/json")
    assert bad.status_code == 422 and Station.objects.count() == n  # the station and its hours, or nothing
    bad = logged_in(users["union"]).post("/api/v1/stations", {**body, "lon": 121.0, "lat": 31.0},
                                         content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"] == "outside_jurisdiction"
    r = logged_in(users["union"]).post("/api/v1/stations", {**body, "lon": None, "lat": None,
                                                            "location_link": f"{c.y},{c.x}"},
                                       content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["week"][0]["intervals"] == ["22:00–06:00"] and Station.objects.count() == n + 1
    pledge = {"merchant": "小面馆", "kind": "love_lunch", "text": "每天 10 份爱心午餐", "valid_from": "2026-01-01",
              "valid_until": "2099-12-31", "lon": c.x, "lat": c.y, "contact_phone": "13700001234"}
    assert logged_in(users["host"]).post("/api/v1/stations/pledges", pledge,
                                         content_type="application/json").status_code == 403
    assert logged_in(users["operator"]).post("/api/v1/stations/pledges", {**pledge, "kind": "bribe"},
                                             content_type="application/json").status_code == 422
    r = logged_in(users["operator"]).post("/api/v1/stations/pledges", pledge, content_type="application/json")
    assert r.status_code == 201 and r.json()["contact_phone"] == "13700001234"
    # the same through the pages
    staff = logged_in(users["union"])
    r = staff.post("/stations/host/new/", {"name": "页面驿站", "where": "nowhere", "amenity": ["water"]})
    assert r.status_code == 422 and 'value="页面驿站"' in r.content.decode()
    r = staff.post("/stations/host/new/", {"name": "页面驿站", "where": f"{c.y},{c.x}", "amenity": ["water"]})
    assert r.status_code == 302 and Station.objects.filter(name="页面驿站").exists()
    assert logged_in(users["host"]).post("/stations/host/new/", {"name": "x", "where": f"{c.y},{c.x}"}).status_code == 403
    r = staff.post("/stations/pledges/new/", {"merchant": "书店", "kind": "free_water", "text": "免费饮水",
                                              "valid_from": "someday", "where": f"{c.y},{c.x}"})
    assert r.status_code == 422
    r = staff.post("/stations/pledges/new/", {"merchant": "书店", "kind": "free_water", "text": "免费饮水",
                                              "valid_from": "2026-01-01", "where": f"{c.y},{c.x}"})
    assert r.status_code == 302
    assert logged_in(users["host"]).post("/stations/pledges/new/", {}).status_code == 403


def test_pledge_contacts_masked_for_readers_in_full_for_managers(street, pledges):
    """Least privilege: the leader reads the pledge map but does not manage pledges, so merchants' phones and
    names are masked for them; union staff (who follow pledges up) see them in full."""
    users, c = street["users"], street["centre"]
    leader = logged_in(users["leader"]).get("/stations/pledges/")
    html = leader.content.decode()
    assert leader.status_code == 200 and "阿强理发" in html
    assert "13900001111" not in html and "13812345678" not in html
    assert "139****1111" in html and "138****5678" in html and "李**" in html and "阿*" in html
    assert 'id="pledge-new-form"' not in html
    manager = logged_in(users["union"]).get("/stations/pledges/").content.decode()
    assert "13900001111" in manager and "13812345678" in manager and "李老板" in manager
    api = logged_in(users["leader"]).get("/api/v1/stations/pledges/nearby", q(c)).json()
    assert {p["contact_phone"] for p in api} == {"138****5678"} and api[0]["contact_name"] == "李**"
    api = logged_in(users["union"]).get("/api/v1/stations/pledges/nearby", q(c)).json()
    assert {p["contact_phone"] for p in api} == {"13812345678"}
