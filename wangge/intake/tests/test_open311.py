"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): the spec's example requests and responses,
adapted to our data, in JSON and XML; its error rules; and a third-party client (`georeport` from PyPI)
reading a live server in both formats."""

import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import requests
from django.test import override_settings
from django.utils import timezone
from georeport import GeoReport

from conftest import metres
from wangge.accounts.models import ApiToken, Role
from wangge.accounts.services import api_token_create, user_create
from wangge.cases.models import Case, Category
from wangge.cases.services import case_act, case_merge
from wangge.core.geo import to_geojson
from wangge.core.services import jurisdiction_upsert
from wangge.intake import open311_services
from wangge.intake import services as intake
from wangge.intake.models import Report, ReportStatus, TriageReason

BASE = "/open311/v2"
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
                  "address", "lat", "long", "media_url"]
FLICKR = "http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg"


def place(i: int):
    """Points in grid A 150 m apart: reports at different places are never taken for duplicates."""
    x, y = 50 + 150 * (i % 3), 100 + 150 * (i // 3)
    return metres(x, y, x + 1, y + 1).centroid


@pytest.fixture(autouse=True)
def english(client, settings):
    """Messages in English: the text the tests read does not depend on the zh-hans catalogue."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def o311(street):
    """The street, with a machine user for an Open311 client app and its api_key."""
    app = user_create(username="open311-app", password="pw-app-1", role=Role.OPERATOR, jurisdiction=street["j"])
    token, key = api_token_create(user=app, name="城市服务 app")
    return {**street, "app": app, "token": token, "key": key}


def spec_example(key: str, **changes) -> dict:
    """The spec's example POST, adapted: our jurisdiction code and minor class (道路塌陷 for the sinkhole), a point
    in grid A, and our attributes instead of WHISPAWN/WHISDORN."""
    pt = place(0)
    form = {
        "api_key": key, "jurisdiction_id": "T1", "service_code": "SJ0301", "lat": str(pt.y), "long": str(pt.x),
        "address_string": "1234 5th street", "email": "smit333@sfgov.edu", "device_id": "tt222111",
        "account_id": "123456", "first_name": "john", "last_name": "smith", "phone": "111111111",
        "description": "A large sinkhole is destroying the street", "media_url": FLICKR,
        "attribute[rider]": "yes", "attribute[platform]": "美团",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def post(client, fmt: str, form: dict, query: str = ""):
    return client.post(f"{BASE}/requests.{fmt}{query}", urlencode(form),
                       content_type="application/x-www-form-urlencoded")


def xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own server's output, in a test


def spec_error(response, status: int, fmt: str = "json") -> str:
    """The spec's error list, in either format, with the HTTP status; returns the description."""
    assert response.status_code == status, response.content
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        [error] = response.json()
        assert error["code"] == status
        return error["description"]
    root = xml(response)
    assert root.tag == "errors" and [e.tag for e in root] == ["error"]
    assert root.findtext("error/code") == str(status)
    return root.findtext("error/description")


# --- Discovery, services, service definitions ----------------------------------------------------------

def test_discovery_services_and_definitions_like_the_spec_examples(client, o311):
    doc = client.get(f"{BASE}/discovery.json").json()
    assert set(doc) == {"changeset", "contact", "key_service", "endpoints"}
    [endpoint] = doc["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2" and endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery" and root.findtext("endpoints/endpoint/url") == "http://testserver/open311/v2"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]
    assert xml(client.get(f"{BASE}/")).tag == "discovery"  # the base URL answers with the discovery document

    # GET services: one service per active minor class.
    Category.objects.filter(code="SJ0102").update(active=False)
    minors = Category.objects.filter(jurisdiction=o311["j"], parent__isnull=False, active=True)
    services = client.get(f"{BASE}/services.json", {"jurisdiction_id": "T1"}).json()
    assert [s["service_code"] for s in services] == sorted(minors.values_list("code", flat=True))
    assert all(set(s) == set(SERVICE_FIELDS) for s in services)
    sj0101 = next(s for s in services if s["service_code"] == "SJ0101")
    assert sj0101["service_name"] == "暴露垃圾" and sj0101["group"] == "市容环境"
    assert sj0101["metadata"] is True and sj0101["type"] == "realtime" and "垃圾" in sj0101["keywords"].split(", ")
    assert "SJ0102" not in {s["service_code"] for s in services}  # inactive
    assert "SJ01" not in {s["service_code"] for s in services}  # a major class is a group, not a service

    root = xml(client.get(f"{BASE}/services.xml"))  # jurisdiction_id is optional: one street on this instance
    assert root.tag == "services" and len(root) == len(services)
    first = root.find("service")
    assert [child.tag for child in first] == SERVICE_FIELDS
    assert first.findtext("service_code") == services[0]["service_code"] and first.findtext("metadata") == "true"

    # GET a service definition: the rider attributes.
    definition = client.get(f"{BASE}/services/SJ0301.json", {"jurisdiction_id": "T1"}).json()
    assert definition["service_code"] == "SJ0301"
    rider, platform = definition["attributes"]
    assert set(rider) == {"variable", "code", "datatype", "required", "datatype_description", "order", "description",
                          "values"}
    assert rider["code"] == "rider" and rider["datatype"] == "singlevaluelist" and rider["order"] == 1
    assert rider["variable"] is True and rider["required"] is False and rider["datatype_description"] is None
    assert [v["key"] for v in rider["values"]] == ["yes", "no"]
    assert platform["code"] == "platform" and platform["datatype"] == "string" and "values" not in platform

    root = xml(client.get(f"{BASE}/services/SJ0301.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "SJ0301"
    attribute = root.find("attributes/attribute")
    assert [c.tag for c in attribute] == ["variable", "code", "datatype", "required", "datatype_description", "order",
                                          "description", "values"]
    assert attribute.find("datatype_description").text is None  # <datatype_description/>, null in JSON
    assert [(v.findtext("key"), bool(v.findtext("name"))) for v in attribute.findall("values/value")] == [
        ("yes", True), ("no", True)]

    assert "NOPE" in spec_error(client.get(f"{BASE}/services/NOPE.json"), 404)
    spec_error(client.get(f"{BASE}/services/SJ01.xml"), 404, "xml")  # a major class


# --- POST requests ---------------------------------------------------------------------------------------

def test_the_spec_example_post_files_a_case_reads_back_public_safe_and_a_retry_is_the_same(client, o311):
    response = post(client, "json", spec_example(o311["key"]))
    assert response.status_code == 201 and response["Content-Type"] == "application/json; charset=utf-8"
    [receipt] = response.json()
    assert set(receipt) == {"service_request_id", "service_notice", "account_id"}  # no token: it is a case already
    report = Report.objects.get()
    case = report.case
    assert receipt["service_request_id"] == case.code and receipt["account_id"] is None
    assert case.code in receipt["service_notice"]
    assert report.status == ReportStatus.FILED and case.category.code == "SJ0301" and case.grid.code == "A"
    # attribute[rider]=yes makes a rider's report; the client's machine user is the actor.
    assert report.channel == "rider" and report.is_rider and report.rider_platform == "美团"
    assert report.reporter_user == o311["app"] and report.reporter_name == "john smith"
    assert report.reporter_phone == "111111111" and report.address == "1234 5th street"
    assert report.source_key == intake.source_key_for(token_id=o311["token"].pk)
    assert report.description.endswith(f"\n\nmedia_url: {FLICKR}")  # the staff see it; never fetched
    assert report.media_url == FLICKR  # the reference GET service_requests gives back

    [public] = client.get(f"{BASE}/requests/{case.code}.json").json()
    assert list(public) == REQUEST_FIELDS
    assert public["description"] == "A large sinkhole is destroying the street"
    assert public["media_url"] == FLICKR and public["status"] == "open" and public["service_code"] == "SJ0301"
    assert public["service_name"] == "道路塌陷" and public["address"] == "1234 5th street"
    assert (public["lat"], public["long"]) == pytest.approx((place(0).y, place(0).x))
    assert public["agency_responsible"] is None and public["requested_datetime"].endswith("+08:00")
    text = client.get(f"{BASE}/requests/{case.code}.xml").content.decode()
    for personal in ("john", "smith", "111111111", "smit333", "tt222111", "123456"):
        assert personal not in text

    # The same example in XML, for another place and another kind of problem.
    pt = place(1)
    root = xml(post(client, "xml", spec_example(o311["key"], service_code="SJ0201", lat=str(pt.y), long=str(pt.x),
                                                description="井盖破损，有人差点踩空")))
    assert root.tag == "service_requests" and [c.tag for c in root.find("request")] == [
        "service_request_id", "service_notice", "account_id"]
    assert root.find("request/account_id").text is None  # <account_id/>
    assert Case.objects.filter(code=root.findtext("request/service_request_id"), category__code="SJ0201").exists()

    # A client's retry of the same request within seconds returns the same request; no attribute: channel open311.
    form = spec_example(o311["key"], lat=str(place(2).y), long=str(place(2).x), description="路边积水很深",
                        **{"attribute[rider]": None, "attribute[platform]": None})
    first, again = post(client, "json", form), post(client, "json", form)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    assert Report.objects.count() == 3 and Report.objects.filter(channel="open311").count() == 1


def test_api_key_is_required_and_must_be_valid_for_the_jurisdiction(client, o311):
    form = spec_example(o311["key"])
    assert "api_key" in spec_error(post(client, "json", {**form, "api_key": ""}), 403)
    description = spec_error(post(client, "xml", {**form, "api_key": "wg_not-a-key"}), 403, "xml")
    assert description == "Invalid api_key received -- can't proceed with create_request."
    # A revoked token is refused, and so is a token used for another street than its user's.
    ApiToken.objects.filter(pk=o311["token"].pk).update(revoked=True)
    spec_error(post(client, "json", form), 403)
    jurisdiction_upsert(code="T2", name="另一街道", boundary=to_geojson(metres(2000, 2000, 3000, 3000), 9))
    _, other_key = api_token_create(user=o311["users"]["operator"], name="ops")
    spec_error(post(client, "json", {**form, "api_key": other_key, "jurisdiction_id": "T2"}), 403)
    assert Report.objects.count() == 0
    # The api_key may come in the query string as well; GET methods need none.
    assert post(client, "json", {**form, "api_key": ""}, query=f"?api_key={other_key}").status_code == 201


def test_jurisdiction_id_is_optional_for_one_street_required_for_several_and_404_when_unknown(client, o311):
    assert client.get(f"{BASE}/services.json").status_code == 200
    spec_error(client.get(f"{BASE}/services.json", {"jurisdiction_id": "nowhere.gov"}), 404)
    jurisdiction_upsert(code="T2", name="另一街道", boundary=to_geojson(metres(2000, 2000, 3000, 3000), 9))
    assert "jurisdiction_id" in spec_error(client.get(f"{BASE}/services.xml"), 400, "xml")
    spec_error(client.get(f"{BASE}/requests.json"), 400)
    assert client.get(f"{BASE}/services.json", {"jurisdiction_id": "T2"}).json() == []
    # A client with an api_key files for its own street when it names none.
    assert post(client, "json", spec_example(o311["key"], jurisdiction_id="")).status_code == 201
    spec_error(post(client, "json", spec_example(o311["key"], jurisdiction_id="nowhere.gov")), 404)


def test_missing_and_invalid_parameters_are_the_specs_errors(client, o311):
    key = o311["key"]
    cases = [
        ({"service_code": ""}, 400, "service_code"),
        ({"service_code": "NOPE"}, 404, "NOPE"),
        ({"lat": "", "long": "", "address_string": ""}, 400, "location"),
        ({"long": ""}, 400, "lat and long"),
        ({"lat": "north", "long": "east"}, 422, "number"),
        ({"lat": "95", "long": "121.4"}, 422, "longitude/latitude"),
        ({"description": "坑"}, 422, "4 characters"),
        ({"description": "路" * 2001}, 422, "2,000"),
        ({"attribute[rider]": "maybe"}, 422, "attribute[rider]"),
        ({"attribute[platform]": "平" * 31}, 422, "attribute[platform]"),
        ({"media_url": "javascript:alert(1)"}, 422, "media_url"),
    ]
    for changes, status, words in cases:
        fmt = "xml" if status == 422 else "json"
        assert words in spec_error(post(client, fmt, spec_example(key, **changes)), status, fmt), changes
    assert Report.objects.count() == 0
    as_json = client.post(f"{BASE}/requests.json", {"api_key": key}, content_type="application/json")
    assert "x-www-form-urlencoded" in spec_error(as_json, 400)
    response = client.delete(f"{BASE}/services.json")
    spec_error(response, 405)
    assert response["Allow"] == "GET, HEAD"
    spec_error(client.get(f"{BASE}/services.csv"), 400, "xml")
    spec_error(client.get(f"{BASE}/nothing/here.json"), 404)
    spec_error(client.get(f"{BASE}/requests/20990101-0001.xml"), 404, "xml")
    spec_error(client.get(f"{BASE}/tokens/ZZZZ-ZZZZ.json"), 404)


def test_an_address_only_request_gets_a_token_then_its_request_id_once_filed(client, o311):
    form = spec_example(o311["key"], lat="", long="", address_string="不存在路999号门口", media_url="")
    response = post(client, "json", form)
    assert response.status_code == 201  # never refused for lack of coordinates
    [receipt] = response.json()
    assert set(receipt) == {"token", "service_notice", "account_id"}  # no service_request_id yet
    report = Report.objects.get(tracking_code=receipt["token"])
    assert report.status == ReportStatus.TRIAGE and report.triage_reasons == [TriageReason.UNLOCATED]
    assert report.case is None and report.address == "不存在路999号门口"

    assert client.get(f"{BASE}/tokens/{receipt['token']}.json").json() == [
        {"service_request_id": None, "token": receipt["token"]}]
    pt = place(4)
    intake.report_triage_file(report_id=report.pk, actor=o311["users"]["operator"], lon=pt.x, lat=pt.y)
    report.refresh_from_db()
    # Like the spec's token example: the request id, and the token used.
    root = xml(client.get(f"{BASE}/tokens/{receipt['token'].lower()}.xml"))
    assert [c.tag for c in root.find("request")] == ["service_request_id", "token"]
    assert root.findtext("request/service_request_id") == report.case.code
    filed = xml(client.get(f"{BASE}/requests/{report.case.code}.xml"))
    assert filed.findtext("request/address") == "不存在路999号门口"
    # address_id alone is a location too.
    only_id = spec_example(o311["key"], lat="", long="", address_string="", address_id="545483",
                           description="另一处：路面塌陷", media_url="")
    assert "token" in post(client, "json", only_id).json()[0]


@override_settings(WANGGE_INTAKE_RATE="2/600")
def test_a_flooding_client_is_throttled(client, o311):
    statuses = [post(client, "json", spec_example(o311["key"], lat=str(place(i).y), long=str(place(i).x),
                                                  description=f"第{i}处路面塌陷")).status_code for i in range(3)]
    assert statuses == [201, 201, 429]


def test_throttling_and_unexpected_failures_are_spec_errors_never_500(client, o311, monkeypatch, caplog):
    def flood(**kwargs):
        raise intake.Throttled("Too many reports from one source.", details={"limit": 20, "window_seconds": 600})

    monkeypatch.setattr(open311_services.intake, "report_submit", flood)
    response = post(client, "xml", spec_example(o311["key"]))
    assert "Too many" in spec_error(response, 429, "xml") and response["Retry-After"] == "600"

    def broken(case, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.undo()
    assert post(client, "json", spec_example(o311["key"])).status_code == 201
    monkeypatch.setattr(open311_services, "request_public", broken)
    assert "General service error" in spec_error(client.get(f"{BASE}/requests.json"), 400)
    assert "boom" in caplog.text


# --- GET requests --------------------------------------------------------------------------------------

@pytest.fixture
def history(o311):
    """Cases of the last months: open, dispatched, merged (closed as a duplicate), rejected, and one too old."""
    j, ops = o311["j"], o311["users"]["operator"]

    def case(i, code="SJ0101", text="垃圾堆在路边", **kw):
        report, _ = intake.report_submit(jurisdiction=j, channel="resident", description=text, lon=place(i).x,
                                         lat=place(i).y, category_code=code, source_key=f"ip-{i}", **kw)
        return report.case

    old = case(0, text="很久以前的垃圾")
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=100))
    private = case(1, text="垃圾没人清，联系我 139-1111-2222 或 zs@example.com，张三",
                   reporter_name="张三", reporter_phone="13911112222")
    dispatched = case(2, code="SJ0201", text="井盖破了")
    case_act(case_id=dispatched.pk, actor=ops, action="accept")
    case_act(case_id=dispatched.pk, actor=ops, action="dispatch",
             payload={"lead_department_id": o311["departments"]["urban"].pk})
    duplicate = case(3, code="SJ0201", text="另一个井盖也破了")
    case_merge(case_id=duplicate.pk, into_case_id=dispatched.pk, actor=ops)
    rejected = case(4, code="SJ0301", text="路面有点不平")
    case_act(case_id=rejected.pk, actor=ops, action="reject", reason="属于市政道路，已转12345")
    return {"old": old, "private": private, "dispatched": dispatched, "duplicate": duplicate, "rejected": rejected}


def codes(response) -> list[str]:
    if response["Content-Type"].startswith("application/json"):
        return [r["service_request_id"] for r in response.json()]
    return [r.findtext("service_request_id") for r in xml(response).findall("request")]


def test_requests_like_the_spec_example_newest_first_filtered_and_limited(client, o311, history, monkeypatch,
                                                                         django_assert_max_num_queries):
    h = {name: case.code for name, case in history.items()}
    with django_assert_max_num_queries(4):  # + one prefetch: the reporters' photos (media_url)
        response = client.get(f"{BASE}/requests.json", {"jurisdiction_id": "T1"})
    rows = {r["service_request_id"]: r for r in response.json()}
    assert codes(response) == [h["rejected"], h["duplicate"], h["dispatched"], h["private"]]  # no 100-day-old case
    assert response["X-Open311-Limit"] == "1000" and response["X-Open311-Truncated"] == "false"
    dispatched = rows[h["dispatched"]]
    assert dispatched["status"] == "open" and dispatched["agency_responsible"] == "城管中队"
    deadline = Case.objects.get(code=h["dispatched"]).deadline_at
    assert deadline is not None and dispatched["expected_datetime"] == open311_services.w3c(deadline)
    assert rows[h["duplicate"]]["status"] == "closed"
    assert rows[h["duplicate"]]["status_notes"] == f"Duplicate request: merged into {h['dispatched']} (并单)."
    assert rows[h["rejected"]]["status"] == "closed" and "已转12345" in rows[h["rejected"]]["status_notes"]
    private = rows[h["private"]]
    assert "张*" in private["description"] and "垃圾没人清" in private["description"]
    for secret in ("张三", "139-1111-2222", "13911112222", "zs@example.com"):
        assert secret not in response.content.decode()

    root = xml(client.get(f"{BASE}/requests.xml", {"status": "closed"}))
    assert root.tag == "service_requests" and codes(client.get(f"{BASE}/requests.xml", {"status": "closed"})) == [
        h["rejected"], h["duplicate"]]
    request = root.find("request")
    assert [c.tag for c in request] == REQUEST_FIELDS
    assert request.find("service_notice").text is None and request.findtext("status") == "closed"

    # Filters, comma lists, the 90-day window and the hard maximum.
    get = lambda **params: client.get(f"{BASE}/requests.json", params)  # noqa: E731
    assert codes(get(status="open")) == [h["dispatched"], h["private"]]
    repeated = client.get(f"{BASE}/requests.json?status=open&status=closed")
    assert codes(get(status="open,closed")) == codes(get()) == codes(repeated)
    assert codes(get(service_code="SJ0301,SJ0101")) == [h["rejected"], h["private"]]
    # service_request_id overrides every other argument, the 90-day window included.
    assert codes(get(service_request_id=f"{h['old']}, {h['private']}", status="closed")) == [h["private"], h["old"]]
    old = timezone.localtime(Case.objects.get(code=h["old"]).created_at)
    start = (old - timedelta(days=1)).isoformat(timespec="seconds")
    end = (old + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert codes(get(start_date=start, end_date=end)) == [h["old"]]
    assert codes(get(start_date=start)) == [h["old"]]  # start alone: the 90 days after it
    assert "90 days" in spec_error(get(start_date="2020-01-01T00:00:00Z", end_date="2020-06-01T00:00:00Z"), 400)
    assert "after" in spec_error(get(start_date="2020-02-01", end_date="2020-01-01"), 400)
    assert "w3c" in spec_error(get(start_date="yesterday"), 400)
    assert "open or closed" in spec_error(get(status="fixed"), 400)
    monkeypatch.setattr(open311_services, "MAX_REQUESTS", 2)  # the hard maximum, said in the headers
    response = get()
    assert codes(response) == [h["rejected"], h["duplicate"]] and response["X-Open311-Truncated"] == "true"


# --- A third-party client against a live server ---------------------------------------------------------

def test_the_georeport_client_reads_our_server_in_json_and_xml(live_server, o311):
    root = live_server.url + BASE
    for i, fmt in enumerate(("json", "xml")):
        # georeport 0.3.1 has no POST method: post the form with requests, as the spec describes it.
        pt = place(i)
        form = spec_example(o311["key"], lat=str(pt.y), long=str(pt.x), service_code=["SJ0301", "SJ0201"][i],
                            description=f"{fmt} 客户端上报：路面问题")
        posted = requests.post(f"{root}/requests.{fmt}", data=form, timeout=10)
        assert posted.status_code == 201, posted.text
        receipt = posted.json()[0] if fmt == "json" else {
            e.tag: e.text for e in ET.fromstring(posted.content).find("request")}  # noqa: S314 - our own output
        code = receipt["service_request_id"]

        client = GeoReport(root, jurisdiction="T1", output_format=fmt)
        services = client.get_service_list()
        assert {"SJ0101", "SJ0201", "SJ0301"} <= {s["service_code"] for s in services}
        assert {str(s["metadata"]).lower() for s in services} == {"true"}
        definition = client.get_service_definition("SJ0301")
        attrs = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
        assert definition["service_code"] == "SJ0301" and [a["code"] for a in attrs] == ["rider", "platform"]

        listed = client.get_service_requests(status="open", service_code="SJ0301,SJ0201")
        listed = listed if isinstance(listed, list) else [listed]  # xmltodict: one <request> is not a list
        assert [r["service_request_id"] for r in listed][0] == code and len(listed) == i + 1
        one = client.get_service_request(code)
        assert one["service_request_id"] == code and one["status"] == "open" and one["media_url"] == FLICKR
        assert one["description"] == f"{fmt} 客户端上报：路面问题"
        assert float(one["lat"]) == pytest.approx(pt.y) and float(one["long"]) == pytest.approx(pt.x)


def test_sensitive_categories_and_video_alerts_are_never_listed_publicly(client, o311):
    from wangge.cases.services import case_report

    j, op = o311["j"], o311["users"]["operator"]
    seen, _ = case_report(jurisdiction=j, actor=op, channel="resident", category_code="SJ0101", description="垃圾满溢无人清理",
                          lon=place(0).x, lat=place(0).y)
    hidden, _ = case_report(jurisdiction=j, actor=op, channel="resident", category_code="SJ0801",
                            description="邻里纠纷，有人威胁", lon=place(1).x, lat=place(1).y)
    video, _ = case_report(jurisdiction=j, actor=op, channel="video", category_code="SJ0101",
                           description="摄像头发现人群聚集", lon=place(2).x, lat=place(2).y)
    listed = [r["service_request_id"] for r in client.get(f"{BASE}/requests.json").json()]
    assert seen.code in listed and hidden.code not in listed and video.code not in listed
    spec_error(client.get(f"{BASE}/requests/{hidden.code}.json"), 404)


def test_a_reports_photo_is_its_media_url_in_json_and_xml_and_is_served_only_for_public_requests(client, o311):
    """GET service_requests gives media_url: the URL the client sent (kept, never fetched), else the reporter's
    own photo at /open311/v2/media/<id>/<photo>; handlers' photos and hidden requests are never served."""
    from wangge.cases.models import Attachment
    from wangge.core.images import clean_image
    from wangge.intake.tests.test_services import png

    pt = place(3)
    report, _ = intake.report_submit(jurisdiction=o311["j"], channel="resident", description="路灯不亮，晚上很黑",
                                     lon=pt.x, lat=pt.y, category_code="SJ0301", photos=[clean_image(png())],
                                     source_key="ip-photo")
    case = report.case
    photo = Attachment.objects.get(case=case, kind="report")
    url = f"http://testserver{BASE}/media/{case.code}/{photo.pk}"
    [public] = client.get(f"{BASE}/requests/{case.code}.json").json()
    assert public["media_url"] == url and list(public) == REQUEST_FIELDS
    listed = {r["service_request_id"]: r for r in client.get(f"{BASE}/requests.json").json()}
    assert listed[case.code]["media_url"] == url
    root = xml(client.get(f"{BASE}/requests/{case.code}.xml"))
    assert root.findtext("request/media_url") == url
    served = client.get(url)
    assert served.status_code == 200 and served["Content-Type"] == photo.content_type
    assert b"".join(served.streaming_content) == photo.file.open("rb").read()
    assert client.post(url).status_code == 405
    assert client.get(f"{BASE}/media/XX-0000/{photo.pk}").status_code == 404  # the photo with another request
    # A request without a photo or a URL has no media_url (JSON null, XML empty).
    plain, _ = intake.report_submit(jurisdiction=o311["j"], channel="resident", description="路面有坑，请修补",
                                    lon=place(4).x, lat=place(4).y, category_code="SJ0301", source_key="ip-photo")
    assert client.get(f"{BASE}/requests/{plain.case.code}.json").json()[0]["media_url"] is None
    assert xml(client.get(f"{BASE}/requests/{plain.case.code}.xml")).find("request/media_url").text is None
    # A client's media_url wins over a photo; a handler's photo is not the reporter's and is never served.
    Attachment.objects.filter(pk=photo.pk).update(kind="after")
    assert client.get(url).status_code == 404
    assert client.get(f"{BASE}/requests/{case.code}.json").json()[0]["media_url"] is None
    # Hidden requests (sensitive categories) serve no photo either.
    Attachment.objects.filter(pk=photo.pk).update(kind="report")
    Case.objects.filter(pk=case.pk).update(channel="video")
    assert client.get(url).status_code == 404


def test_media_url_is_accepted_only_as_an_http_url_and_never_fetched(client, o311, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("media_url must never be fetched")

    monkeypatch.setattr(requests.Session, "request", no_network)
    import urllib.request

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    for bad in ("ftp://example.com/a.jpg", "file:///etc/passwd", "data:image/png;base64,AAAA", "//x.jpg",
                "https://" + "a" * 2100 + ".com/x.jpg"):
        assert "media_url" in spec_error(post(client, "json", spec_example(o311["key"], media_url=bad)), 422)
    pt = place(5)
    response = post(client, "xml", spec_example(o311["key"], lat=str(pt.y), long=str(pt.x), description="树枝折断挡路",
                                                media_url="https://example.com/photo.jpg"))
    assert response.status_code == 201
    code = xml(response).findtext("request/service_request_id")
    assert xml(client.get(f"{BASE}/requests/{code}.xml")).findtext("request/media_url") == "https://example.com/photo.jpg"


def test_a_media_url_line_typed_into_a_description_is_text_not_a_media_url(client, o311):
    """Only an Open311 client's media_url (kept on the report) is given back: a resident typing the same line
    into a web report does not make the server publish their link as the request's media."""
    pt = place(6)
    report, _ = intake.report_submit(jurisdiction=o311["j"], channel="resident", lon=pt.x, lat=pt.y,
                                     description="井盖缺失很危险\n\nmedia_url: https://evil.example/x.jpg",
                                     category_code="SJ0201", source_key="ip-spoof")
    assert report.media_url == ""
    [public] = client.get(f"{BASE}/requests/{report.case.code}.json").json()
    assert public["media_url"] is None
    assert xml(client.get(f"{BASE}/requests/{report.case.code}.xml")).find("request/media_url").text is None


def test_the_migration_keeps_older_open311_media_urls_as_references(client, o311):
    from importlib import import_module

    from django.apps import apps

    backfill = import_module("wangge.intake.migrations.0004_report_media_url").backfill
    assert post(client, "json", spec_example(o311["key"])).status_code == 201
    pt = place(7)
    typed, _ = intake.report_submit(jurisdiction=o311["j"], channel="resident", lon=pt.x, lat=pt.y,
                                    description="路灯坏了\n\nmedia_url: https://evil.example/x.jpg",
                                    category_code="SJ0201", source_key="ip-typed")
    Report.objects.update(media_url="")  # as before the field existed
    backfill(apps, None)
    assert Report.objects.get(reporter_user=o311["app"]).media_url == FLICKR
    typed.refresh_from_db()
    assert typed.media_url == ""


def test_reporters_photos_are_not_published_when_the_street_turns_them_off(client, o311, settings):
    """WANGGE_OPEN311_PUBLIC_PHOTOS=false: no photo becomes a media_url and the media URL serves nothing; a URL the
    client sent is still given back."""
    from wangge.cases.models import Attachment
    from wangge.core.images import clean_image
    from wangge.intake.tests.test_services import png

    pt = place(3)
    report, _ = intake.report_submit(jurisdiction=o311["j"], channel="resident", description="路灯不亮，晚上很黑",
                                     lon=pt.x, lat=pt.y, category_code="SJ0301", photos=[clean_image(png())],
                                     source_key="ip-photo")
    photo = Attachment.objects.get(case=report.case, kind="report")
    url = f"{BASE}/media/{report.case.code}/{photo.pk}"
    assert client.get(url).status_code == 200
    settings.WANGGE_OPEN311_PUBLIC_PHOTOS = False
    assert client.get(f"{BASE}/requests/{report.case.code}.json").json()[0]["media_url"] is None
    listed = {r["service_request_id"]: r for r in client.get(f"{BASE}/requests.json").json()}
    assert listed[report.case.code]["media_url"] is None
    refused = client.get(url)
    assert refused.status_code == 404 and b"No such media." in refused.content
    sent = client.post(f"{BASE}/requests.json", spec_example(o311["key"]))
    assert sent.status_code == 201
    code = sent.json()[0]["service_request_id"]
    assert client.get(f"{BASE}/requests/{code}.json").json()[0]["media_url"] == FLICKR
