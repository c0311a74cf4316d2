"""Intake over HTTP: the public page and API need no account, say precisely what is wrong, and never lose a
report; the follow page shows no personal data; triage is for the operations centre only."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from PIL import Image

from conftest import metres
from wangge.cases.models import Case
from wangge.intake.models import Report, ReportStatus
from wangge.intake.tests.conftest import IN_A, OUTSIDE


def jpeg(size=(64, 48)) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 120, 30)).save(buf, "JPEG")
    return SimpleUploadedFile("p.jpg", buf.getvalue(), content_type="image/jpeg")


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def api_report(c, **extra):
    data = {"description": "路灯不亮，晚上很黑", "lon": IN_A.x, "lat": IN_A.y, "category": "BJ0101",
            "reporter_phone": "13911112222", **extra}
    return c.post("/api/v1/reports", data)


def test_anonymous_api_report_with_photo_is_filed_and_followed_without_personal_data(street):
    r = api_report(Client(), photos=[jpeg()], reporter_name="张三", idempotency_key="app-1")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "filed" and body["case"] and body["follow_url"].endswith(f"/r/{body['tracking_code']}/")
    assert Case.objects.get(code=body["case"]).attachments.count() == 1
    again = api_report(Client(), photos=[jpeg()], reporter_name="张三", idempotency_key="app-1")
    assert again.status_code == 200 and again.json()["tracking_code"] == body["tracking_code"]
    follow = Client().get(f"/r/{body['tracking_code']}/")
    html = follow.content.decode()
    assert follow.status_code == 200 and body["case"] in html
    assert "13911112222" not in html and "张三" not in html
    api = Client().get(f"/api/v1/reports/{body['tracking_code']}").json()
    assert api["case"] == body["case"] and "13911112222" not in str(api)


def test_bad_input_gets_a_precise_4xx_and_writes_nothing(street):
    c = Client()
    bad_photo = SimpleUploadedFile("x.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    cases = [
        (api_report(c, photos=[bad_photo]), 422, "not_an_image"),
        (api_report(c, lon=500), 422, "invalid_coordinates"),
        (api_report(c, description="坏"), 422, "description_required"),
        (api_report(c, category="NOPE"), 422, "unknown_category"),
        (api_report(c, lon="", lat="", location_link="https://surl.amap.com/x"), 422, "invalid_location_link"),
        (api_report(c, jurisdiction="NOWHERE"), 404, "not_found"),
        (api_report(c, reporter_phone="12345"), 422, "invalid_phone"),
        (c.post("/api/v1/reports", {"lon": IN_A.x}), 422, "invalid_request"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.content
        assert response.json()["code"] == code
    assert not Report.objects.exists() and not Case.objects.exists()


def test_a_gcj02_link_from_wechat_is_located(street):
    from wangge.routing.coords import from_wgs84

    glon, glat = from_wgs84(IN_A.x, IN_A.y, "gcj02")
    r = api_report(Client(), lon="", lat="", location_link=f"https://apis.map.qq.com/uri/v1/marker?marker=coord:{glat},{glon}")
    assert r.status_code == 201, r.content
    report = Report.objects.get(tracking_code=r.json()["tracking_code"])
    assert report.location_source == "link" and abs(report.lon - IN_A.x) < 1e-6 and abs(report.lat - IN_A.y) < 1e-6


def test_outside_the_street_is_accepted_into_triage_not_refused(street):
    r = api_report(Client(), lon=OUTSIDE.x, lat=OUTSIDE.y)
    assert r.status_code == 201 and r.json()["status"] == "triage" and r.json()["triage_reasons"] == ["outside"]


@override_settings(WANGGE_INTAKE_RATE="2/600")
def test_a_flood_gets_429_with_the_reason(street):
    c = Client()
    for i in range(2):
        assert api_report(c, description=f"第{i}盏路灯不亮").status_code == 201
    r = api_report(c, description="第三盏路灯不亮")
    assert r.status_code == 429 and r.json()["code"] == "throttled" and int(r["Retry-After"]) > 0
    assert Report.objects.count() == 2


def test_public_page_files_a_report_and_redirects_to_the_follow_page(street):
    c = Client()
    page = c.get("/report/")
    assert page.status_code == 200 and "category-groups" in page.content.decode()
    form = {"description": "垃圾桶满溢，气味很大", "lon": IN_A.x, "lat": IN_A.y, "crs": "wgs84", "category": "SJ0101",
            "idempotency_key": "page-1", "is_rider": "on", "rider_platform": "美团", "rider_station": "长寿路站",
            "photos": [jpeg()]}
    r = c.post("/report/", form)
    assert r.status_code == 302 and r["Location"].startswith("/r/"), r.content.decode()[-3000:]
    report = Report.objects.get()
    assert report.channel == "rider" and report.is_rider and report.rider_platform == "美团"
    assert report.case.channel == "rider" and report.photos.count() == 1
    again = c.post("/report/", {**form, "photos": [jpeg()]})  # a double tap sends the same form again: one report
    assert again.status_code == 302 and again["Location"] == r["Location"] and Report.objects.count() == 1
    bad = c.post("/report/", {**form, "idempotency_key": "page-2", "photos": [jpeg((20000, 2))]})
    assert bad.status_code == 422 and Report.objects.count() == 1
    c.cookies["django_language"] = "en"
    bad = c.post("/report/", {**form, "idempotency_key": "page-3", "reporter_phone": "110", "photos": [jpeg()]})
    assert bad.status_code == 422 and "fixed line such as 021-62345678" in bad.content.decode() and Report.objects.count() == 1
    landline = c.post("/report/", {**form, "idempotency_key": "page-4", "description": "窨井盖松动，车过有响声",
                                   "reporter_phone": "021-6234 5678", "photos": [jpeg()]})
    assert landline.status_code == 302 and Report.objects.get(idempotency_key="page-4").reporter_phone == "02162345678"


def test_a_grid_workers_report_page_is_a_patrol_report(street):
    """A grid worker is not asked for a phone or whether they are a rider; the report skips triage."""
    c = logged_in(street["users"]["worker"])
    html = c.get("/report/").content.decode()
    assert 'id="patrol-hint"' in html and 'name="reporter_phone"' not in html and 'name="is_rider"' not in html
    r = c.post("/report/", {"description": "井盖缺失，行人易绊倒", "lon": IN_A.x, "lat": IN_A.y, "crs": "wgs84",
                            "category": "BJ0101", "idempotency_key": "patrol-1"})
    assert r.status_code == 302, r.content.decode()[-2000:]
    report = Report.objects.get()
    assert report.channel == "patrol" and report.status == ReportStatus.FILED and report.case.channel == "patrol"
    public = Client().get("/report/").content.decode()
    assert 'id="patrol-hint"' not in public and 'name="reporter_phone"' in public


def test_nearby_shows_open_cases_of_the_same_kind_without_personal_data(street):
    c = Client()
    api_report(c, category="SJ0101", description="垃圾桶满了 13911112222", reporter_name="张三")
    near = metres(110, 305, 111, 306).centroid
    html = c.get("/report/nearby/", {"lon": near.x, "lat": near.y, "category": "SJ0101"}).content.decode()
    assert "join-case" in html and "13911112222" not in html and "****" in html
    assert "join-case" not in c.get("/report/nearby/", {"lon": near.x, "lat": near.y, "category": "BJ0101"}).content.decode()
    api = c.get("/api/v1/reports/nearby", {"lon": near.x, "lat": near.y}).json()
    assert len(api) == 1 and api[0]["distance_m"] < 20


def test_triage_is_for_operators_and_settles_in_one_click(street):
    users = street["users"]
    r = api_report(Client(), lon="", lat="", address="某个不知道的地方")
    report = Report.objects.get(tracking_code=r.json()["tracking_code"])
    assert report.status == ReportStatus.TRIAGE
    assert Client().get("/triage/").status_code == 302
    assert logged_in(users["handler"]).get("/triage/").status_code == 403
    assert logged_in(users["worker"]).get("/api/v1/triage").status_code == 403
    api_report(Client(), rider_platform="美团", rider_station="长寿路站", description="骑手反映：井盖松动")
    op = logged_in(users["operator"])
    page = op.get("/triage/").content.decode()
    assert "<td>美团</td><td>长寿路站</td><td>1</td>" in page  # the riders' contribution is counted
    assert "<td>外卖/快递小哥</td><td>1</td>" in page and "<td>rider</td>" not in page  # channels by name
    assert report.tracking_code in page and "13911112222" in page  # the operator sees the reporter in full
    listed = op.get("/api/v1/triage").json()
    assert listed["count"] == 1 and listed["items"][0]["reasons"] == ["unlocated"]
    bad = op.post(f"/triage/{report.pk}/file/", {"category": "BJ0101", "where": "not a place"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422 and "triage-row" in bad.content.decode()
    point = metres(700, 200, 701, 201).centroid
    ok = op.post(f"/triage/{report.pk}/file/", {"category": "BJ0101", "where": f"{point.y},{point.x}"}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200
    report.refresh_from_db()
    assert report.status == ReportStatus.FILED and report.case.grid.code == "B"
    again = op.post(f"/api/v1/triage/{report.pk}/actions/reject", {"reason": "x"}, content_type="application/json")
    assert again.status_code == 409


def test_triage_places_a_report_by_an_address_of_the_street(street):
    """The operator may type the corrected address instead of coordinates: the street's gazetteer places it; a road
    alone is too vague, and a place nobody knows is a 422 that changes nothing."""
    from wangge.routing import gazetteer
    from wangge.routing.tests.test_gazetteer import rows as address_rows

    gazetteer.gazetteer_invalidate()
    gazetteer.gazetteer_import(jurisdiction=street["j"], rows=address_rows())
    code = api_report(Client(), lon="", lat="", address="某小区后门附近").json()["tracking_code"]
    report = Report.objects.get(tracking_code=code)
    assert report.status == ReportStatus.TRIAGE
    op = logged_in(street["users"]["operator"])
    for where, reason in (("长寿路", "请补充门牌号"), ("火星路1号", "不是坐标、地图链接，也不是本街道的地址"),
                          ("https://example.com/nowhere", "")):
        bad = op.post(f"/triage/{report.pk}/file/", {"category": "BJ0101", "where": where}, HTTP_HX_REQUEST="true")
        assert bad.status_code == 422 and reason in bad.content.decode(), where
        report.refresh_from_db()
        assert report.status == ReportStatus.TRIAGE and report.case is None
    api = op.post(f"/api/v1/triage/{report.pk}/actions/file", {"category": "BJ0101", "where": "长寿路"},
                  content_type="application/json")
    assert api.status_code == 422 and api.json()["code"] == "imprecise_address"
    ok = op.post(f"/triage/{report.pk}/file/", {"category": "BJ0101", "where": "上海市长寿路7号"}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200
    report.refresh_from_db()
    hit = gazetteer.geocode(jurisdiction=street["j"], address="长寿路7号")
    assert report.status == ReportStatus.FILED and hit.confidence == 1.0
    assert (round(report.case.lon, 7), round(report.case.lat, 7)) == (round(hit.lon, 7), round(hit.lat, 7))


def test_rating_from_the_follow_page(street):
    from wangge.cases.services import case_act

    users, urban = street["users"], street["departments"]["urban"]
    code = api_report(Client()).json()["tracking_code"]
    report = Report.objects.get(tracking_code=code)
    assert Client().post(f"/r/{code}/", {"rating": "satisfied"}).status_code == 409
    for action, actor, payload, reason in [
        ("accept", users["operator"], {}, ""), ("dispatch", users["operator"], {"lead_department_id": urban.pk}, ""),
        ("sign", users["handler"], {}, ""), ("feedback", users["handler"], {}, "已修复"),
        ("verify_pass", users["worker"], {}, ""), ("close", users["operator"], {}, ""),
    ]:
        case_act(case_id=report.case_id, actor=actor, action=action, payload=payload, reason=reason)
    page = Client().get(f"/r/{code}/").content.decode()
    assert "rating-form" in page and "已办结" in page or "Closed" in page
    assert Client().post(f"/r/{code}/", {"rating": "great"}).status_code == 422
    assert Client().post(f"/r/{code}/", {"rating": "basically_satisfied", "comment": "还行"}).status_code == 302
    report.case.refresh_from_db()
    assert report.case.rating == "basically_satisfied"
    assert Client().get("/r/NOPE-NOPE/").status_code == 404


def test_a_database_too_busy_to_write_is_a_503_to_retry_never_a_500(street, monkeypatch):
    from django.db import OperationalError

    from wangge.intake import services

    def busy(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "report_submit", busy)
    api = api_report(Client())
    assert api.status_code == 503 and api.json()["code"] == "busy" and api["Retry-After"] == "5"
    page = Client().post("/report/", {"description": "路灯不亮了", "lon": IN_A.x, "lat": IN_A.y, "idempotency_key": "b-1"})
    assert page.status_code == 503 and page["Retry-After"] == "5"


def test_a_mistyped_tracking_code_stays_in_the_form_with_the_reason(street):
    r = api_report(Client())
    code = r.json()["tracking_code"]
    assert Client().get("/r/", {"code": code.lower()})["Location"] == f"/r/{code}/"
    c = Client()
    c.cookies["django_language"] = "en"
    wrong = c.get("/r/", {"code": "ZZZZ-ZZZ9"})
    html = wrong.content.decode()
    assert wrong.status_code == 404 and "No report has this tracking code" in html and 'value="ZZZZ-ZZZ9"' in html
