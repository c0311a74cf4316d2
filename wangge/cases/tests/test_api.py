"""The case loop over HTTP: idempotent create, filters, actions with 409/403/422, photos by their bytes."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from conftest import metres


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def post(c, url, data, **headers):
    return c.post(url, data, content_type="application/json", **headers)


def jpeg_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def new(c, **extra):
    p = metres(100, 300, 101, 301).centroid
    body = {"category": "SJ0101", "description": "垃圾满溢", "lon": p.x, "lat": p.y, "reporter_name": "张三",
            "reporter_phone": "13911112222", **extra}
    return post(c, "/api/v1/cases", body)


def test_create_is_idempotent_by_header(loop):
    c = client(loop["users"]["operator"])
    p = metres(100, 300, 101, 301).centroid
    body = {"category": "SJ0101", "description": "垃圾满溢", "lon": p.x, "lat": p.y}
    r1 = post(c, "/api/v1/cases", body, HTTP_IDEMPOTENCY_KEY="k-1")
    r2 = post(c, "/api/v1/cases", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (r1.status_code, r2.status_code) == (201, 200) and r1.json()["code"] == r2.json()["code"]
    assert c.get("/api/v1/cases").json()["count"] == 1


def test_loop_over_http_with_errors(loop):
    u, d = loop["users"], loop["departments"]
    op, h = client(u["operator"]), client(u["handler"])
    code = new(op).json()["code"]
    r = post(op, f"/api/v1/cases/{code}/actions/close", {})
    assert r.status_code == 409 and r["Content-Type"] == "application/problem+json"
    assert set(r.json()["errors"]["allowed"]) == {"accept", "reject", "merge"}
    assert post(op, f"/api/v1/cases/{code}/actions/reject", {"reason": ""}).status_code == 422
    assert post(op, f"/api/v1/cases/{code}/actions/fly", {}).status_code == 422
    assert post(op, f"/api/v1/cases/{code}/actions/accept", {"version": 1}).json()["state"] == "accepted"
    r = post(op, f"/api/v1/cases/{code}/actions/dispatch", {"version": 1, "payload": {"lead_department_id": d["urban"].pk}})
    assert r.status_code == 409 and r.json()["code"] == "stale_version"
    r = post(op, f"/api/v1/cases/{code}/actions/dispatch", {"payload": {"lead_department_id": d["urban"].pk}})
    # Nothing is pending, so only these are offered to the operator now.
    assert set(r.json()["allowed_actions"]) == {"escalate", "reassign", "supervise"}
    inbox = h.get("/api/v1/cases?mine=true&state=dispatched").json()
    assert [c["code"] for c in inbox["items"]] == [code]
    assert h.get(f"/api/v1/cases/{code}").json()["allowed_actions"] == ["sign", "return", "request_extension", "request_shelve"]
    assert client(u["police_handler"]).get(f"/api/v1/cases/{code}").status_code == 404
    assert post(h, f"/api/v1/cases/{code}/actions/sign", {}).json()["state"] == "handling"
    assert post(h, f"/api/v1/cases/{code}/actions/feedback", {"reason": "已清运"}).json()["state"] == "handled"
    photo = SimpleUploadedFile("after.jpg", jpeg_bytes(), content_type="image/jpeg")
    r = h.post(f"/api/v1/cases/{code}/attachments", {"kind": "after", "photos": [photo]})
    assert r.status_code == 201 and len(r.json()["attachments"]) == 1
    url = r.json()["attachments"][0]["url"]
    assert h.get(url).status_code == 200 and client(u["police_handler"]).get(url).status_code == 404
    fake = SimpleUploadedFile("x.jpg", b"%PDF-1.7 not a photo", content_type="image/jpeg")
    r = h.post(f"/api/v1/cases/{code}/attachments", {"kind": "after", "photos": [fake]})
    assert r.status_code == 422 and "PDF" in r.json()["detail"]
    gw = client(u["worker"])
    assert post(gw, f"/api/v1/cases/{code}/actions/verify_pass", {}).json()["state"] == "verified"
    detail = post(op, f"/api/v1/cases/{code}/actions/close", {}).json()
    assert detail["state"] == "closed" and [t["action"] for t in detail["timeline"]][-1] == "close"


def test_reporter_masked_outside_handling_scope(loop):
    u, d = loop["users"], loop["departments"]
    op = client(u["operator"])
    code = new(op).json()["code"]
    assert op.get(f"/api/v1/cases/{code}").json()["reporter"] == {"name": "张三", "phone": "13911112222", "masked": False}
    post(op, f"/api/v1/cases/{code}/actions/accept", {})
    post(op, f"/api/v1/cases/{code}/actions/dispatch", {"payload": {"lead_department_id": d["police"].pk}})
    police = client(u["police_handler"])
    assert police.get(f"/api/v1/cases/{code}").json()["reporter"]["phone"] == "13911112222"
    post(police, f"/api/v1/cases/{code}/actions/return", {"reason": "非本部门"})
    # Returned: the police still see the case in their history, but no longer the reporter.
    assert police.get(f"/api/v1/cases/{code}").json()["reporter"] == {"name": "张*", "phone": "139****2222", "masked": True}


def test_queue_filters_and_notifications(loop):
    u, d = loop["users"], loop["departments"]
    op = client(u["operator"])
    a = new(op).json()["code"]
    new(op, category="SJ0103", description="路面不洁")
    assert op.get("/api/v1/cases?category=SJ0103").json()["count"] == 1
    assert op.get("/api/v1/cases?category=SJ01").json()["count"] == 2
    assert op.get("/api/v1/cases?grid=A&state=reported").json()["count"] == 2
    assert op.get("/api/v1/cases?lateness=overdue").json()["count"] == 0
    assert op.get("/api/v1/cases?lateness=late").status_code == 422
    post(op, f"/api/v1/cases/{a}/actions/accept", {})
    post(op, f"/api/v1/cases/{a}/actions/dispatch", {"payload": {"lead_department_id": d["urban"].pk}})
    notes = client(u["handler"]).get("/api/v1/notifications").json()
    assert [n["kind"] for n in notes] == ["dispatch"] and notes[0]["case"] == a
    assert client(u["handler"]).post(f"/api/v1/notifications/{notes[0]['id']}/read").status_code == 200
    assert client(u["handler"]).get("/api/v1/notifications").json() == []
    fc = op.get("/api/v1/cases/geojson").json()
    assert {f["properties"]["state"] for f in fc["features"]} == {"reported", "dispatched"}


def test_grid_worker_quick_case(loop):
    gw = client(loop["users"]["worker"])
    p = metres(200, 200, 201, 201).centroid
    r = post(gw, "/api/v1/cases/quick", {"category": "SJ0101", "description": "一袋垃圾", "lon": p.x, "lat": p.y,
                                         "result": "已清理"})
    assert r.status_code == 201 and r.json()["state"] == "closed"
    assert post(client(loop["users"]["operator"]), "/api/v1/cases/quick",
                {"category": "SJ0101", "description": "x", "lon": p.x, "lat": p.y, "result": "y"}).status_code == 403


def test_malformed_payloads_are_422_not_500(loop):
    op = client(loop["users"]["operator"])
    code = new(op).json()["code"]
    post(op, f"/api/v1/cases/{code}/actions/accept", {})
    for payload in ({"lead_department_id": "abc"}, {"lead_department_id": 99999}, {},
                    {"lead_department_id": loop["departments"]["urban"].pk, "assisting_ids": ["x"]}):
        r = post(op, f"/api/v1/cases/{code}/actions/dispatch", {"payload": payload})
        assert r.status_code == 422, (payload, r.content)
    r = op.post(f"/cases/{code}/act/dispatch/", {"lead_department_id": "abc"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422
    assert post(op, "/api/v1/cases", {"category": "SJ0101", "description": "坐标无效", "lon": "NaN", "lat": 31}).status_code == 422
