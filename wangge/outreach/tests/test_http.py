"""Outreach over HTTP: the public API and pages need no account and say precisely what is wrong; staff pages
and endpoints are for union staff and the operations centre; personal data is masked for everyone else."""

import json
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from wangge.outreach import services
from wangge.outreach.models import (
    ConventionSignOff,
    Event,
    ExportLog,
    GovernanceRider,
    Service,
    SignUp,
    Survey,
    SurveyResponse,
)
from wangge.outreach.tests.test_services import GOOD


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def signup(c, event, **data):
    return c.post(f"/api/v1/outreach/events/{event.pk}/signups", {"name": "张三", "phone": "13812345678", **data},
                  content_type="application/json")


def answer(c, survey, **data):
    return c.post(f"/api/v1/outreach/surveys/{survey.code}/responses", {"answers": GOOD, **data},
                  content_type="application/json")


# --- Public API --------------------------------------------------------------------------------------------

def test_catalogue_lists_active_services_with_upcoming_events_and_no_personal_data(outreach):
    services.event_signup(event_id=outreach["small"].pk, name="张三", phone="13812345678")
    services.service_create(jurisdiction=outreach["j"], actor=None, kind="legal", title="停用的服务", active=False)
    r = Client().get("/api/v1/outreach/services")
    assert r.status_code == 200
    body = r.json()
    assert [s["title"] for s in body] == ["小哥医靠·免费体检"]
    events = body[0]["events"]
    assert [(e["title"], e["seats_left"], e["signup_state"]) for e in events] == [
        ("免费体检（上午场）", 1, "open"), ("免费体检（下午场）", 30, "open")]
    assert "13812345678" not in r.content.decode() and "张三" not in r.content.decode()
    assert Client().get(f"/api/v1/outreach/events/{outreach['small'].pk}").json()["seats_left"] == 1
    assert Client().get("/api/v1/outreach/events/999999").status_code == 404


def test_api_signup_created_then_existing_then_full(outreach):
    c, ev = Client(), outreach["small"]
    r = signup(c, ev)
    assert r.status_code == 201 and r.json()["created"] is True
    assert r.json()["phone"] == "138****5678" and r.json()["name"] == "张*"  # masked even to the sender
    again = signup(c, ev, name="张三丰")
    assert again.status_code == 200 and again.json()["created"] is False
    assert signup(c, ev, phone="13900001111").status_code == 201
    full = signup(c, ev, phone="13700002222")
    assert full.status_code == 409 and full["Content-Type"] == "application/problem+json"
    assert full.json()["code"] == "event_full" and full.json()["detail"]
    assert SignUp.objects.filter(event=ev).count() == 2 and Event.objects.get(pk=ev.pk).seats_taken == 2


@pytest.mark.parametrize("data, status, code", [
    ({"phone": "12345"}, 422, "invalid_phone"),
    ({"phone": "1381234567x"}, 422, "invalid_phone"),
    ({"name": " "}, 422, "name_required"),
    ({"name": None}, 422, "invalid_request"),
    ({"phone": "1" * 100}, 422, "invalid_request"),
])
def test_api_signup_bad_input(outreach, data, status, code):
    r = signup(Client(), outreach["small"], **data)
    assert r.status_code == status and r.json()["code"] == code, r.content
    assert SignUp.objects.count() == 0


def test_api_signup_after_start_is_409_and_malformed_json_is_422(outreach):
    now = timezone.now()
    Event.objects.filter(pk=outreach["small"].pk).update(starts_at=now - timedelta(minutes=1))
    r = signup(Client(), outreach["small"])
    assert r.status_code == 409 and r.json()["code"] == "event_started"
    bad = Client().post(f"/api/v1/outreach/events/{outreach['big'].pk}/signups", "{not json",
                        content_type="application/json")
    assert bad.status_code in (400, 422) and SignUp.objects.count() == 0


@override_settings(WANGGE_OUTREACH_RATE="2/600")
def test_api_floods_are_429(outreach):
    c = Client()
    assert signup(c, outreach["big"], phone="13800000001").status_code == 201
    assert signup(c, outreach["big"], phone="13800000002").status_code == 201
    r = signup(c, outreach["big"], phone="13800000003")
    assert r.status_code == 429 and r.json()["code"] == "throttled" and int(r["Retry-After"]) > 0
    assert SignUp.objects.count() == 2


def test_api_survey_get_answer_idempotent_and_per_device(outreach):
    s, c = outreach["survey"], Client()
    got = c.get(f"/api/v1/outreach/surveys/{s.code}")
    assert got.status_code == 200 and [q["id"] for q in got.json()["questions"]] == ["need", "when", "stars", "say"]
    first = answer(c, s, idempotency_key="k1", device_id="phone-1")
    assert first.status_code == 201 and first.json()["created"] is True
    resent = c.post(f"/api/v1/outreach/surveys/{s.code}/responses", {"answers": GOOD, "device_id": "phone-1"},
                    content_type="application/json", headers={"Idempotency-Key": "k1"})
    assert resent.status_code == 200 and resent.json()["created"] is False
    twice = answer(c, s, idempotency_key="k2", device_id="phone-1")
    assert twice.status_code == 409 and twice.json()["code"] == "already_answered"
    assert SurveyResponse.objects.count() == 1


@pytest.mark.parametrize("answers, key", [
    ({**GOOD, "need": "按摩"}, "need"),
    ({"when": ["上午"]}, "need"),
    ({**GOOD, "say": "长" * 51}, "say"),
    ({**GOOD, "nope": 1}, "nope"),
])
def test_api_answers_that_do_not_fit_are_422_with_errors_per_question(outreach, answers, key):
    r = answer(Client(), outreach["survey"], answers=answers)
    assert r.status_code == 422 and r.json()["code"] == "invalid_answers" and key in r.json()["errors"]
    assert SurveyResponse.objects.count() == 0


def test_api_drafts_are_hidden_and_closed_surveys_refuse(outreach):
    draft = services.survey_create(jurisdiction=outreach["j"], actor=None, title="草稿",
                                   questions=outreach["survey"].questions)
    assert Client().get(f"/api/v1/outreach/surveys/{draft.code}").status_code == 404
    r = answer(Client(), draft)
    assert r.status_code == 404 and r.json()["code"] == "survey_not_published"
    services.survey_transition(survey=outreach["survey"], actor=None, action="close")
    r = answer(Client(), outreach["survey"])
    assert r.status_code == 409 and r.json()["code"] == "survey_closed"
    assert Client().post(f"/api/v1/outreach/surveys/{outreach['survey'].code}/responses", {"answers": ["x"]},
                         content_type="application/json").status_code == 422
    assert SurveyResponse.objects.count() == 0


# --- Staff API ---------------------------------------------------------------------------------------------

def test_staff_api_signups_masked_for_the_leader_and_refused_to_others(outreach):
    services.event_signup(event_id=outreach["small"].pk, name="张三", phone="13812345678")
    url = f"/api/v1/outreach/staff/events/{outreach['small'].pk}/signups"
    users = outreach["users"]
    assert Client().get(url).status_code == 401
    assert logged_in(users["worker"]).get(url).status_code == 403
    assert logged_in(users["handler"]).get(url).status_code == 403
    for who in ("union", "operator", "admin"):
        row = logged_in(users[who]).get(url).json()[0]
        assert (row["name"], row["phone"], row["masked"]) == ("张三", "13812345678", False)
    row = logged_in(users["leader"]).get(url).json()[0]
    assert (row["name"], row["phone"], row["masked"]) == ("张*", "138****5678", True)


def test_staff_api_survey_lifecycle_and_results(outreach):
    c = logged_in(outreach["users"]["union"])
    r = c.post("/api/v1/outreach/staff/surveys", {"title": "夜间需求", "questions": [{"type": "rating", "label": "满意吗"}]},
               content_type="application/json")
    assert r.status_code == 201 and r.json()["status"] == "draft"
    sid, code = r.json()["id"], r.json()["code"]
    bad = c.post("/api/v1/outreach/staff/surveys", {"title": "x", "questions": [{"type": "essay"}]},
                 content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_questions" and "q1.type" in bad.json()["errors"]
    assert c.post(f"/api/v1/outreach/staff/surveys/{sid}/actions/publish").json()["status"] == "published"
    assert c.post(f"/api/v1/outreach/staff/surveys/{sid}/actions/publish").status_code == 409
    assert answer(Client(), Survey.objects.get(pk=sid), answers={"q1": 5}).status_code == 201
    res = c.get(f"/api/v1/outreach/staff/surveys/{sid}/results").json()
    assert res["survey"] == code and res["responses"] == 1 and res["questions"][0]["mean"] == 5.0
    assert logged_in(outreach["users"]["worker"]).get(f"/api/v1/outreach/staff/surveys/{sid}/results").status_code == 403
    assert logged_in(outreach["users"]["leader"]).post(f"/api/v1/outreach/staff/surveys/{sid}/actions/close").status_code == 403


def test_staff_api_riders(outreach):
    services.rider_add(jurisdiction=outreach["j"], actor=None, name="王小哥", phone="13812345678", role="volunteer")
    assert logged_in(outreach["users"]["union"]).get("/api/v1/outreach/staff/riders").json()[0]["phone"] == "13812345678"
    assert logged_in(outreach["users"]["leader"]).get("/api/v1/outreach/staff/riders").json()[0]["phone"] == "138****5678"
    assert logged_in(outreach["users"]["worker"]).get("/api/v1/outreach/staff/riders").status_code == 403


# --- Public pages ------------------------------------------------------------------------------------------

def test_catalogue_and_event_pages_sign_up_and_show_the_existing_signup(outreach):
    c, ev = Client(), outreach["small"]
    page = c.get("/services/")
    assert page.status_code == 200 and "小哥医靠·免费体检" in page.content.decode()
    r = c.post(f"/services/events/{ev.pk}/", {"name": "张三", "phone": "13812345678"}, follow=True)
    html = r.content.decode()
    assert r.status_code == 200 and "138****5678" in html and "13812345678" not in html
    again = c.post(f"/services/events/{ev.pk}/", {"name": "张三", "phone": "138 1234 5678"}, follow=True)
    assert "138****5678" in again.content.decode() and SignUp.objects.count() == 1
    bad = c.post(f"/services/events/{ev.pk}/", {"name": "李四", "phone": "123"})
    assert bad.status_code == 422 and "11" in bad.content.decode()
    c.post(f"/services/events/{ev.pk}/", {"name": "李四", "phone": "13900001111"})
    full = c.post(f"/services/events/{ev.pk}/", {"name": "王五", "phone": "13700002222"})
    assert full.status_code == 409 and SignUp.objects.count() == 2
    assert c.get("/services/events/999999/").status_code == 404


def test_survey_page_answers_once_per_device(outreach):
    s, c = outreach["survey"], Client()
    page = c.get(f"/survey/{s.code}/")
    assert page.status_code == 200 and "wg_device" in page.cookies
    bad = c.post(f"/survey/{s.code}/", {"idempotency_key": "a", "when": ["上午"], "stars": "4"})
    assert bad.status_code == 422 and 'id="error-need"' in bad.content.decode()
    assert SurveyResponse.objects.count() == 0
    ok = c.post(f"/survey/{s.code}/", {"idempotency_key": "b", "need": "体检", "when": ["上午", "下午"], "stars": "4"})
    assert ok.status_code == 302 and ok["Location"] == f"/survey/{s.code}/thanks/"
    assert SurveyResponse.objects.get().answers == {"need": "体检", "when": ["上午", "下午"], "stars": 4}
    again = c.get(f"/survey/{s.code}/")
    assert 'id="survey-form"' not in again.content.decode() and 'id="survey-state"' in again.content.decode()
    dup = c.post(f"/survey/{s.code}/", {"idempotency_key": "c", "need": "体检", "stars": "3"})
    assert dup.status_code == 409 and SurveyResponse.objects.count() == 1
    draft = services.survey_create(jurisdiction=outreach["j"], actor=None, title="草稿", questions=s.questions)
    assert c.get(f"/survey/{draft.code}/").status_code == 404


def test_convention_page_sign(outreach):
    c = Client()
    empty = c.get("/convention/")
    assert empty.status_code == 200 and 'id="convention-sign"' not in empty.content.decode()
    services.convention_publish(jurisdiction=outreach["j"], actor=None, title="小哥公约", text="一、安全骑行，文明礼让。")
    page = c.get("/convention/")
    assert page.status_code == 200 and "安全骑行" in page.content.decode()
    r = c.post("/convention/", {"name": "张三", "phone": "13812345678", "version": 1, "agree": "on"})
    assert r.status_code == 302 and ConventionSignOff.objects.count() == 1
    stale = c.post("/convention/", {"name": "李四", "phone": "13900001111", "version": 0, "agree": "on"})
    assert stale.status_code == 409 and ConventionSignOff.objects.count() == 1
    unagreed = c.post("/convention/", {"name": "李四", "phone": "13900001111", "version": 1})
    assert unagreed.status_code == 422 and ConventionSignOff.objects.count() == 1


# --- Staff pages -------------------------------------------------------------------------------------------

STAFF_PAGES = ["/outreach/", "/outreach/riders/"]


def test_staff_pages_are_for_staff_only(outreach):
    ev, s = outreach["small"], outreach["survey"]
    pages = STAFF_PAGES + [f"/outreach/events/{ev.pk}/", f"/outreach/surveys/{s.pk}/results/"]
    manage_only = ["/outreach/services/new/", f"/outreach/services/{outreach['service'].pk}/",
                   f"/outreach/services/{outreach['service'].pk}/events/new/", "/outreach/surveys/new/",
                   f"/outreach/surveys/{s.pk}/", "/outreach/convention/", f"/outreach/events/{ev.pk}/signups.csv"]
    users = outreach["users"]
    for url in pages + manage_only:
        r = Client().get(url)
        assert r.status_code == 302 and r["Location"].startswith("/accounts/login/"), url
        assert logged_in(users["worker"]).get(url).status_code == 403, url
        assert logged_in(users["handler"]).get(url).status_code == 403, url
        assert logged_in(users["union"]).get(url).status_code == 200, url
    for url in pages:
        assert logged_in(users["leader"]).get(url).status_code == 200, url
    for url in manage_only:
        assert logged_in(users["leader"]).get(url).status_code == 403, url


def test_staff_event_page_masks_for_the_leader_and_export_is_logged(outreach):
    ev, users = outreach["small"], outreach["users"]
    services.event_signup(event_id=ev.pk, name="张三", phone="13812345678")
    full = logged_in(users["operator"]).get(f"/outreach/events/{ev.pk}/").content.decode()
    assert "13812345678" in full and "张三" in full
    masked = logged_in(users["leader"]).get(f"/outreach/events/{ev.pk}/").content.decode()
    assert "13812345678" not in masked and "138****5678" in masked and "张三" not in masked
    csv = logged_in(users["union"]).get(f"/outreach/events/{ev.pk}/signups.csv")
    assert csv.status_code == 200 and "13812345678" in csv.content.decode("utf-8-sig")
    log = ExportLog.objects.get()
    assert log.user == users["union"] and log.rows == 1 and log.what == f"signups:event:{ev.pk}"
    assert logged_in(users["leader"]).post(f"/outreach/events/{ev.pk}/", {"title": "x"}).status_code == 403


def test_staff_manage_service_event_and_cancel_signup(outreach):
    c = logged_in(outreach["users"]["union"])
    r = c.post("/outreach/services/new/", {"kind": "course", "title": "电动车维修课", "order": 3, "active": "on"})
    assert r.status_code == 302
    service = Service.objects.get(title="电动车维修课")
    bad = c.post(f"/outreach/services/{service.pk}/events/new/", {
        "title": "第一课", "place": "驿站", "starts_at": "2030-01-02T10:00", "ends_at": "2030-01-02T09:00", "capacity": 10})
    assert bad.status_code == 422 and not Event.objects.filter(service=service).exists()
    ok = c.post(f"/outreach/services/{service.pk}/events/new/", {
        "title": "第一课", "place": "驿站", "starts_at": "2030-01-02T10:00", "ends_at": "2030-01-02T12:00", "capacity": 10})
    assert ok.status_code == 302
    ev = Event.objects.get(service=service)
    s, _ = services.event_signup(event_id=ev.pk, name="张三", phone="13812345678")
    assert c.post(f"/outreach/signups/{s.pk}/cancel/").status_code == 302
    assert not SignUp.objects.exists() and Event.objects.get(pk=ev.pk).seats_taken == 0


def test_survey_builder_shows_json_and_question_errors(outreach):
    c = logged_in(outreach["users"]["union"])
    r = c.post("/outreach/surveys/new/", {"title": "新调查", "questions": "[{"})
    assert r.status_code == 422 and "JSON" in r.content.decode()
    r = c.post("/outreach/surveys/new/", {"title": "新调查", "questions": json.dumps([{"type": "single", "label": "x"}])})
    assert r.status_code == 422 and 'id="builder-errors"' in r.content.decode() and "q1.options" in r.content.decode()
    assert Survey.objects.count() == 1
    r = c.post("/outreach/surveys/new/", {"title": "新调查", "questions": json.dumps([{"type": "rating", "label": "满意吗"}])})
    assert r.status_code == 302
    new = Survey.objects.get(title="新调查")
    assert c.post(f"/outreach/surveys/{new.pk}/publish/").status_code == 302
    assert Survey.objects.get(pk=new.pk).status == "published"
    assert c.post(f"/outreach/surveys/{new.pk}/explode/").status_code == 404
    copy = c.post(f"/outreach/surveys/{new.pk}/copy/")
    draft = Survey.objects.exclude(pk__in=[new.pk, outreach["survey"].pk]).get()
    assert copy["Location"] == f"/outreach/surveys/{draft.pk}/"
    assert draft.status == "draft" and draft.questions == new.questions and draft.code != new.code


def test_results_page_has_a_chart_per_choice_question(outreach):
    services.survey_answer(code=outreach["survey"].code, answers=GOOD, device_key="a")
    html = logged_in(outreach["users"]["union"]).get(f"/outreach/surveys/{outreach['survey'].pk}/results/").content.decode()
    assert html.count('class="chart"') == 3 and "vendor/echarts/echarts.min.js" in html and "希望多开夜间场" in html
    leader = logged_in(outreach["users"]["leader"]).get(f"/outreach/surveys/{outreach['survey'].pk}/results/")
    assert "希望多开夜间场" not in leader.content.decode()


def test_riders_page_add_and_deactivate(outreach):
    c = logged_in(outreach["users"]["union"])
    bad = c.post("/outreach/riders/", {"name": "王小哥", "phone": "1234", "role": "volunteer"})
    assert bad.status_code == 422 and not GovernanceRider.objects.exists()
    r = c.post("/outreach/riders/", {"name": "王小哥", "phone": "13812345678", "role": "mobile_grid", "platform": "美团"})
    assert r.status_code == 302
    rider = GovernanceRider.objects.get()
    assert c.post(f"/outreach/riders/{rider.pk}/active/", {"active": "0"}).status_code == 302
    assert GovernanceRider.objects.get().active is False
    leader = logged_in(outreach["users"]["leader"])
    assert "138****5678" in leader.get("/outreach/riders/").content.decode()
    assert leader.post("/outreach/riders/", {"name": "x", "phone": "13812345670", "role": "volunteer"}).status_code == 403
    assert leader.post(f"/outreach/riders/{rider.pk}/active/", {"active": "1"}).status_code == 403


def test_catalogue_query_count_does_not_grow_with_the_catalogue(outreach, django_assert_max_num_queries):
    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert Client().get("/api/v1/outreach/services").status_code == 200
            assert Client().get("/services/").status_code == 200
        return len(ctx.captured_queries)

    before = count()
    soon = timezone.now() + timedelta(days=2)
    for i in range(5):
        s = services.service_create(jurisdiction=outreach["j"], actor=None, kind="course", title=f"课程{i}")
        for k in range(3):
            services.event_create(service=s, actor=None, title=f"第{k}课", place="驿站", capacity=5,
                                  starts_at=soon + timedelta(hours=k), ends_at=soon + timedelta(hours=k + 1))
    assert count() == before
    with django_assert_max_num_queries(4):
        Client().get("/api/v1/outreach/services")


def test_admin_lists_the_outreach_tables_read_only(outreach):
    services.event_signup(event_id=outreach["small"].pk, name="张三", phone="13812345678")
    c = logged_in(outreach["users"]["admin"])
    for model in ("service", "event", "signup", "survey", "surveyresponse", "conventionversion", "governancerider",
                  "exportlog"):
        assert c.get(f"/admin/outreach/{model}/").status_code == 200, model
    assert c.get("/admin/outreach/service/add/").status_code == 403


@override_settings(WANGGE_OUTREACH_RATE="1/600")
def test_page_floods_get_429_with_a_message_and_keep_nothing_extra(outreach):
    c, s = Client(), outreach["survey"]
    assert c.post(f"/services/events/{outreach['big'].pk}/", {"name": "张三", "phone": "13812345678"}).status_code == 302
    r = c.post(f"/services/events/{outreach['big'].pk}/", {"name": "李四", "phone": "13900001111"})
    assert r.status_code == 429 and 'role="alert"' in r.content.decode() and SignUp.objects.count() == 1
    c.get(f"/survey/{s.code}/")
    assert c.post(f"/survey/{s.code}/", {"idempotency_key": "a", "need": "体检", "stars": "4"}).status_code == 302
    other = Client()  # another device, same address
    other.get(f"/survey/{s.code}/")
    r = other.post(f"/survey/{s.code}/", {"idempotency_key": "b", "need": "体检", "stars": "4"})
    assert r.status_code == 429 and SurveyResponse.objects.count() == 1
