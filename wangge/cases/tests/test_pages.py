"""Case pages without a browser: scoping, htmx actions with honest status codes, the report form."""

import io

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from conftest import metres
from wangge.cases.models import Case


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_queue_pages_are_scoped(loop, new_case):
    u = loop["users"]
    html = login(u["operator"]).get("/cases/").content.decode()
    assert new_case.code in html and "案件队列" in html
    assert new_case.code not in login(u["handler"]).get("/cases/").content.decode()  # not dispatched to them
    gw = login(u["worker"]).get("/cases/?state=").content.decode()
    assert "我的网格" in gw and new_case.code in gw  # case in the worker's grid A
    partial = login(u["operator"]).get("/cases/?state=reported", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and new_case.code in partial


def test_case_page_offers_only_allowed_actions(loop, new_case):
    html = login(loop["users"]["operator"]).get(f"/cases/{new_case.code}/").content.decode()
    assert 'data-action="accept"' in html and 'data-action="close"' not in html and "张三" in html
    assert login(loop["users"]["police_handler"]).get(f"/cases/{new_case.code}/").status_code == 404


def test_htmx_action_errors_keep_their_status(loop, new_case):
    c = login(loop["users"]["operator"])
    r = c.post(f"/cases/{new_case.code}/act/reject/", {"reason": "", "version": "1"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422 and "“不予立案”需要填写理由。" in r.content.decode()
    r = c.post(f"/cases/{new_case.code}/act/accept/", {"version": "1"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'data-state="accepted"' in r.content.decode()
    r = c.post(f"/cases/{new_case.code}/act/accept/", {"version": "1"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 409 and "您查看期间案件已被更改" in r.content.decode()
    assert Case.objects.get(pk=new_case.pk).version == 2
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # English is a choice: the same refusals in English
    r = c.post(f"/cases/{new_case.code}/act/accept/", {"version": "1"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 409 and "The case changed while you were looking at it" in r.content.decode()
    r = c.post(f"/cases/{new_case.code}/act/reject/", {"version": "2", "reason": "重复"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 409 and "is not possible: the case is Accepted" in r.content.decode()


def test_report_form_with_photo_and_validation(loop):
    c = login(loop["users"]["operator"])
    assert c.get("/cases/new/").status_code == 200
    r = c.post("/cases/new/", {"category": "SJ0101", "description": "没有位置", "idempotency_key": "f1", "priority": "2",
                                "crs": "wgs84"})
    assert r.status_code == 422 and "请在地图上点选案件位置" in r.content.decode()
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(buf, "PNG")
    p = metres(100, 300, 101, 301).centroid
    data = {"category": "SJ0101", "description": "有照片的上报", "lon": p.x, "lat": p.y, "crs": "wgs84", "priority": "1",
            "idempotency_key": "f2", "photos": [SimpleUploadedFile("a.png", buf.getvalue(), content_type="image/png")]}
    r = c.post("/cases/new/", data)
    assert r.status_code == 302
    case = Case.objects.get(idempotency_key="f2")
    assert case.attachments.get().kind == "report" and case.priority == 1
    bad = {**data, "idempotency_key": "f3", "photos": [SimpleUploadedFile("b.png", b"GIF89a....", content_type="image/png")]}
    r = c.post("/cases/new/", bad)
    assert r.status_code == 422 and not Case.objects.filter(idempotency_key="f3").exists()
    assert login(loop["users"]["handler"]).get("/cases/new/").status_code == 403


def test_grid_worker_quick_form(loop):
    c = login(loop["users"]["worker"])
    p = metres(200, 200, 201, 201).centroid
    r = c.post("/cases/new/", {"category": "SJ0101", "description": "现场小事", "lon": p.x, "lat": p.y, "crs": "wgs84",
                                "priority": "2", "idempotency_key": "q1", "quick": "on", "result": "已处理"})
    assert r.status_code == 302 and Case.objects.get(idempotency_key="q1").state == "closed"


def test_notifications_page(loop, new_case):
    c = login(loop["users"]["operator"])
    assert c.get("/notifications/count/").content.decode() == ""  # the operator reported it: no self-notice
    other = login(loop["users"]["admin"])
    assert other.get("/notifications/count/").content.decode() == ""
    u = loop["users"]
    from wangge.cases.services import case_act

    case_act(case_id=new_case.pk, actor=u["operator"], action="accept")
    case_act(case_id=new_case.pk, actor=u["operator"], action="dispatch", payload={"lead_department_id": loop["departments"]["urban"].pk})
    h = login(u["handler"])
    assert h.get("/notifications/count/").content.decode() == "1"
    assert new_case.code in h.get("/notifications/").content.decode()
    h.post("/notifications/")
    assert h.get("/notifications/count/").content.decode() == ""


def test_case_page_names_the_clock_stage_the_rating_and_the_system_in_the_readers_language(loop):
    """Not the stored codes ("sign", "satisfied", "system"): the operator's wall reads words, in their language."""
    from wangge.cases.models import Notification
    from wangge.cases.services import case_act, case_report

    u = loop["users"]
    p = metres(100, 300, 101, 301).centroid
    case, _ = case_report(jurisdiction=loop["j"], actor=None, channel="video", category_code="SJ0101",
                          description="自动上报", lon=p.x, lat=p.y)
    c = login(u["operator"])
    c.cookies["django_language"] = "en"
    assert "<b>the system</b> · Report" in c.get(f"/cases/{case.code}/").content.decode()
    notices = list(Notification.objects.filter(case=case, kind="report").values_list("message", flat=True))
    assert notices and not any(m.endswith(" · system") for m in notices), notices
    case_act(case_id=case.pk, actor=u["operator"], action="accept")
    case_act(case_id=case.pk, actor=u["operator"], action="dispatch",
             payload={"lead_department_id": loop["departments"]["urban"].pk})
    assert "(signing for)</dd>" in c.get(f"/cases/{case.code}/").content.decode()
    case_act(case_id=case.pk, actor=u["handler"], action="sign")
    case_act(case_id=case.pk, actor=u["handler"], action="feedback", reason="已清运")
    case_act(case_id=case.pk, actor=u["worker"], action="verify_pass")
    case_act(case_id=case.pk, actor=u["operator"], action="close")
    case_act(case_id=case.pk, actor=u["operator"], action="evaluate", payload={"rating": "basically_satisfied"})
    html = c.get(f"/cases/{case.code}/").content.decode()
    assert "<dd>Basically satisfied</dd>" in html and "basically_satisfied</dd>" not in html
    c.cookies["django_language"] = "zh-hans"
    assert "<dd>基本满意</dd>" in c.get(f"/cases/{case.code}/").content.decode()


def test_a_refused_action_keeps_what_the_handler_typed(loop, new_case):
    from wangge.cases.services import case_act

    u = loop["users"]
    case_act(case_id=new_case.pk, actor=u["operator"], action="accept")
    case_act(case_id=new_case.pk, actor=u["operator"], action="dispatch",
             payload={"lead_department_id": loop["departments"]["urban"].pk})
    case_act(case_id=new_case.pk, actor=u["handler"], action="sign")
    not_a_photo = SimpleUploadedFile("after.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")
    r = login(u["handler"]).post(f"/cases/{new_case.code}/act/feedback/", HTTP_HX_REQUEST="true", data={
        "reason": "已清运三车垃圾，现场已冲洗", "version": "4", "photos": [not_a_photo], "photo_kind": "after"})
    html = r.content.decode()
    assert r.status_code == 422 and 'role="alert"' in html
    assert ">已清运三车垃圾，现场已冲洗</textarea>" in html  # only the photo has to be chosen again
    assert html.count("已清运三车垃圾") == 1  # refilled in the feedback form only
