"""Outreach services: sign-ups under every kind of bad input, survey questions and answers, the convention,
the riders list. Bad input is a precise error and writes nothing."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from wangge.core.errors import ApplicationError, Conflict, NotFound
from wangge.outreach import selectors, services
from wangge.outreach.models import ConventionSignOff, Event, GovernanceRider, SignUp, Survey, SurveyResponse
from wangge.outreach.tests.conftest import QUESTIONS

GOOD = {"need": "体检", "when": ["上午", "晚上"], "stars": 4, "say": "希望多开夜间场"}


def seats(event) -> int:
    return Event.objects.get(pk=event.pk).seats_taken


# --- Sign-ups ----------------------------------------------------------------------------------------------

def test_signup_takes_a_seat_and_the_same_phone_again_returns_the_first(outreach):
    ev = outreach["small"]
    s, created = services.event_signup(event_id=ev.pk, name=" 张 三 ", phone="138 1234-5678")
    assert created and s.name == "张 三" and s.phone == "13812345678" and seats(ev) == 1
    again, created = services.event_signup(event_id=ev.pk, name="张三", phone="+86 13812345678")
    assert not created and again.pk == s.pk and seats(ev) == 1 and SignUp.objects.count() == 1


def test_a_full_event_refuses_with_409_but_shows_an_existing_signup(outreach):
    ev = outreach["small"]
    services.event_signup(event_id=ev.pk, name="甲", phone="13800000001")
    services.event_signup(event_id=ev.pk, name="乙", phone="13800000002")
    with pytest.raises(Conflict) as exc:
        services.event_signup(event_id=ev.pk, name="丙", phone="13800000003")
    assert exc.value.code == "event_full" and exc.value.status == 409
    assert seats(ev) == 2 and SignUp.objects.filter(event=ev).count() == 2
    # someone already signed up still sees their sign-up, full or not
    mine, created = services.event_signup(event_id=ev.pk, name="甲", phone="13800000001")
    assert not created and mine.name == "甲"


@pytest.mark.parametrize("phone", ["", "12345", "1381234567", "138123456789", "23812345678", "1381234567a",
                                   "12812345678", "+1 4155552671"])
def test_malformed_phones_are_refused(outreach, phone):
    with pytest.raises(ApplicationError) as exc:
        services.event_signup(event_id=outreach["small"].pk, name="张三", phone=phone)
    assert exc.value.code == "invalid_phone" and exc.value.status == 422
    assert SignUp.objects.count() == 0 and seats(outreach["small"]) == 0


def test_name_is_required_and_bounded(outreach):
    for name, code in (("  ", "name_required"), ("张" * 51, "name_too_long")):
        with pytest.raises(ApplicationError) as exc:
            services.event_signup(event_id=outreach["small"].pk, name=name, phone="13812345678")
        assert exc.value.code == code
    assert SignUp.objects.count() == 0


def test_no_signup_after_the_event_started_or_sign_up_closed(outreach):
    staff, service = outreach["users"]["union"], outreach["service"]
    now = timezone.now()
    started = services.event_create(service=service, actor=staff, title="进行中", place="驿站",
                                    starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1), capacity=5)
    closed = services.event_create(service=service, actor=staff, title="截止", place="驿站",
                                   starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=1),
                                   signup_closes_at=now - timedelta(minutes=1), capacity=5)
    for ev, code in ((started, "event_started"), (closed, "signup_closed")):
        with pytest.raises(Conflict) as exc:
            services.event_signup(event_id=ev.pk, name="张三", phone="13812345678")
        assert exc.value.code == code
    assert SignUp.objects.count() == 0


def test_unknown_event_other_street_and_withdrawn_service_are_404(outreach, territory):
    from conftest import metres
    from wangge.core.geo import to_geojson
    from wangge.core.services import jurisdiction_upsert

    other = jurisdiction_upsert(code="T2", name="别的街道", boundary=to_geojson(metres(2000, 0, 3000, 1000), 9))
    with pytest.raises(NotFound):
        services.event_signup(event_id=99999, name="张三", phone="13812345678")
    with pytest.raises(NotFound):
        services.event_signup(event_id=outreach["small"].pk, jurisdiction=other, name="张三", phone="13812345678")
    services.service_update(service=outreach["service"], actor=None, active=False)
    with pytest.raises(NotFound) as exc:
        services.event_signup(event_id=outreach["small"].pk, name="张三", phone="13812345678")
    assert exc.value.code == "service_inactive" and SignUp.objects.count() == 0


@override_settings(WANGGE_OUTREACH_RATE="3/600")
def test_floods_from_one_source_are_throttled(outreach):
    ev = outreach["big"]
    for i in range(3):
        services.event_signup(event_id=ev.pk, name="张三", phone=f"1380000000{i}", source_key="ip-1")
    with pytest.raises(ApplicationError) as exc:
        services.event_signup(event_id=ev.pk, name="张三", phone="13800000009", source_key="ip-1")
    assert exc.value.status == 429 and exc.value.code == "throttled"
    services.event_signup(event_id=ev.pk, name="李四", phone="13800000009", source_key="ip-2")  # others still can
    assert seats(ev) == 4


def test_event_times_and_capacity_are_checked(outreach):
    staff, service = outreach["users"]["union"], outreach["service"]
    now = timezone.now()
    with pytest.raises(ApplicationError) as exc:
        services.event_create(service=service, actor=staff, title="x", place="y", starts_at=now,
                              ends_at=now - timedelta(hours=1), capacity=3)
    assert exc.value.code == "invalid_times"
    with pytest.raises(ApplicationError) as exc:
        services.event_create(service=service, actor=staff, title="x", place="y", starts_at=now,
                              ends_at=now + timedelta(hours=1), capacity=0)
    assert exc.value.code == "invalid_capacity"
    ev = outreach["small"]
    services.event_signup(event_id=ev.pk, name="甲", phone="13800000001")
    services.event_signup(event_id=ev.pk, name="乙", phone="13800000002")
    with pytest.raises(Conflict) as exc:
        services.event_update(event=ev, actor=staff, title=ev.title, place=ev.place, starts_at=ev.starts_at,
                              ends_at=ev.ends_at, capacity=1)
    assert exc.value.code == "capacity_below_signups" and Event.objects.get(pk=ev.pk).capacity == 2


def test_cancelling_a_signup_frees_the_seat(outreach):
    ev = outreach["small"]
    s, _ = services.event_signup(event_id=ev.pk, name="甲", phone="13800000001")
    services.signup_cancel(signup_id=s.pk, jurisdiction=outreach["j"], actor=outreach["users"]["union"])
    assert seats(ev) == 0 and SignUp.objects.count() == 0


def test_service_kind_is_checked(outreach):
    with pytest.raises(ApplicationError) as exc:
        services.service_create(jurisdiction=outreach["j"], actor=None, kind="spa", title="按摩")
    assert exc.value.code == "invalid_kind"


# --- Surveys -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("questions, key", [
    ([], "questions"),
    ("not a list", "questions"),
    ([{"type": "essay", "label": "x"}], "q1.type"),
    ([{"type": "single", "label": "x", "options": ["only one"]}], "q1.options"),
    ([{"type": "single", "label": "x", "options": ["a", "a"]}], "q1.options"),
    ([{"type": "single", "label": "", "options": ["a", "b"]}], "q1.label"),
    ([{"type": "text", "label": "x", "max_length": 99999}], "q1.max_length"),
    ([{"type": "rating", "label": "x", "options": ["a", "b"]}], "q1.options"),
    ([{"id": "Bad Id", "type": "rating", "label": "x"}], "#1.id"),
    ([{"id": "a", "type": "rating", "label": "x"}, {"id": "a", "type": "rating", "label": "y"}], "a.id"),
    ([{"type": "rating", "label": "x", "required": "yes"}], "q1.required"),
    ([{"type": "rating", "label": "x", "colour": "red"}], "q1.fields"),
])
def test_invalid_questions_are_refused_with_a_message_per_problem(outreach, questions, key):
    with pytest.raises(ApplicationError) as exc:
        services.survey_create(jurisdiction=outreach["j"], actor=None, title="调查", questions=questions)
    assert exc.value.code == "invalid_questions" and key in exc.value.details
    assert Survey.objects.count() == 1  # only the fixture's


def test_questions_get_ids_and_a_published_survey_keeps_its_questions(outreach):
    s = services.survey_create(jurisdiction=outreach["j"], actor=None, title="调查",
                               questions=[{"type": "rating", "label": "满意吗"}])
    assert s.questions == [{"id": "q1", "type": "rating", "label": "满意吗", "required": False}]
    published = outreach["survey"]
    with pytest.raises(Conflict) as exc:
        services.survey_update(survey=published, actor=None, title="新标题", questions=[{"type": "rating", "label": "x"}])
    assert exc.value.code == "survey_not_draft"
    services.survey_update(survey=published, actor=None, title="新标题", questions=QUESTIONS)  # title only: fine
    assert Survey.objects.get(pk=published.pk).title == "新标题"


def test_survey_transitions(outreach):
    s = outreach["survey"]
    with pytest.raises(Conflict):
        services.survey_transition(survey=s, actor=None, action="publish")
    s = services.survey_transition(survey=s, actor=None, action="close")
    assert s.status == "closed"
    with pytest.raises(NotFound):
        services.survey_transition(survey=s, actor=None, action="delete")


def test_a_good_answer_is_kept_normalised_and_an_idempotent_resend_returns_it(outreach):
    code = outreach["survey"].code
    r, created = services.survey_answer(code=code.upper(), answers={**GOOD, "when": ["晚上", "上午"], "say": " 好 "},
                                        idempotency_key="k1", device_key="dev-1")
    assert created and r.answers == {"need": "体检", "when": ["上午", "晚上"], "stars": 4, "say": "好"}
    again, created = services.survey_answer(code=code, answers=GOOD, idempotency_key="k1", device_key="dev-1")
    assert not created and again.pk == r.pk and SurveyResponse.objects.count() == 1
    assert r.device_hash and "dev-1" not in r.device_hash


def test_the_same_device_answers_once(outreach):
    code = outreach["survey"].code
    services.survey_answer(code=code, answers=GOOD, device_key="dev-1")
    with pytest.raises(Conflict) as exc:
        services.survey_answer(code=code, answers=GOOD, device_key="dev-1", idempotency_key="other")
    assert exc.value.code == "already_answered"
    services.survey_answer(code=code, answers=GOOD, device_key="dev-2")
    assert SurveyResponse.objects.count() == 2


@pytest.mark.parametrize("answers, key", [
    ({**GOOD, "need": "按摩"}, "need"),                  # unknown option
    ({**GOOD, "when": ["上午", "半夜"]}, "when"),          # unknown option among several
    ({**GOOD, "when": ["上午", "上午"]}, "when"),          # picked twice
    ({k: v for k, v in GOOD.items() if k != "need"}, "need"),  # required missing
    ({**GOOD, "stars": ""}, "stars"),                    # required, blank
    ({**GOOD, "stars": 6}, "stars"),
    ({**GOOD, "stars": True}, "stars"),
    ({**GOOD, "stars": 3.5}, "stars"),
    ({**GOOD, "say": "长" * 51}, "say"),                  # too long
    ({**GOOD, "say": {"x": 1}}, "say"),
    ({**GOOD, "need": ["体检"]}, "need"),
    ({**GOOD, "extra": "?"}, "extra"),                   # no such question
])
def test_answers_that_do_not_fit_are_refused(outreach, answers, key):
    with pytest.raises(ApplicationError) as exc:
        services.survey_answer(code=outreach["survey"].code, answers=answers, device_key="d")
    assert exc.value.code == "invalid_answers" and key in exc.value.details
    assert SurveyResponse.objects.count() == 0


def test_answers_must_be_an_object(outreach):
    with pytest.raises(ApplicationError) as exc:
        services.survey_answer(code=outreach["survey"].code, answers=["体检"])
    assert exc.value.code == "invalid_answers"


def test_closed_unpublished_and_out_of_window_surveys_take_no_answers(outreach):
    j = outreach["j"]
    draft = services.survey_create(jurisdiction=j, actor=None, title="草稿", questions=QUESTIONS)
    with pytest.raises(NotFound) as exc:
        services.survey_answer(code=draft.code, answers=GOOD)
    assert exc.value.code == "survey_not_published"
    with pytest.raises(NotFound):
        services.survey_answer(code="nosuchcode", answers=GOOD)
    services.survey_transition(survey=outreach["survey"], actor=None, action="close")
    with pytest.raises(Conflict) as exc:
        services.survey_answer(code=outreach["survey"].code, answers=GOOD)
    assert exc.value.code == "survey_closed"
    later = services.survey_create(jurisdiction=j, actor=None, title="下月", questions=QUESTIONS,
                                   opens_at=timezone.now() + timedelta(days=1))
    services.survey_transition(survey=later, actor=None, action="publish")
    with pytest.raises(Conflict) as exc:
        services.survey_answer(code=later.code, answers=GOOD)
    assert exc.value.code == "survey_not_open"
    ended = services.survey_create(jurisdiction=j, actor=None, title="上月", questions=QUESTIONS,
                                   opens_at=timezone.now() - timedelta(days=30),
                                   closes_at=timezone.now() - timedelta(days=1))
    services.survey_transition(survey=ended, actor=None, action="publish")
    with pytest.raises(Conflict) as exc:
        services.survey_answer(code=ended.code, answers=GOOD)
    assert exc.value.code == "survey_closed"
    assert SurveyResponse.objects.count() == 0


@override_settings(WANGGE_OUTREACH_RATE="2/600")
def test_answer_floods_are_throttled(outreach):
    code = outreach["survey"].code
    for i in range(2):
        services.survey_answer(code=code, answers=GOOD, device_key=f"d{i}", source_key="ip-1")
    with pytest.raises(ApplicationError) as exc:
        services.survey_answer(code=code, answers=GOOD, device_key="d9", source_key="ip-1")
    assert exc.value.status == 429 and SurveyResponse.objects.count() == 2


def test_results_are_counted_per_question_and_free_text_is_for_staff_only(outreach):
    code = outreach["survey"].code
    services.survey_answer(code=code, answers=GOOD, device_key="a")
    services.survey_answer(code=code, answers={"need": "心理咨询", "stars": 2}, device_key="b")
    services.survey_answer(code=code, answers={"need": "体检", "when": ["下午"], "stars": 5}, device_key="c")
    users = outreach["users"]
    res = selectors.survey_results(survey=outreach["survey"], user=users["union"])
    assert res["responses"] == 3
    need, when, stars, say = res["questions"]
    assert need["options"] == [{"option": "体检", "count": 2}, {"option": "心理咨询", "count": 1},
                               {"option": "技能培训", "count": 0}]
    assert [o["count"] for o in when["options"]] == [1, 1, 1] and when["answered"] == 2
    assert [o["count"] for o in stars["options"]] == [0, 1, 0, 1, 1] and stars["mean"] == 3.67
    assert say["answered"] == 1 and say["texts"] == ["希望多开夜间场"]
    leader = selectors.survey_results(survey=outreach["survey"], user=users["leader"])
    assert leader["questions"][3]["answered"] == 1 and leader["questions"][3]["texts"] == []


# --- Convention and riders ---------------------------------------------------------------------------------

def test_convention_versions_and_signoffs(outreach):
    j, staff = outreach["j"], outreach["users"]["union"]
    v1 = services.convention_publish(jurisdiction=j, actor=staff, title="小哥公约", text="一、遵守交通规则，安全骑行。")
    with pytest.raises(Conflict):
        services.convention_publish(jurisdiction=j, actor=staff, title="小哥公约", text="一、遵守交通规则，安全骑行。")
    with pytest.raises(ApplicationError) as exc:
        services.convention_publish(jurisdiction=j, actor=staff, title="小哥公约", text="短")
    assert exc.value.code == "text_required"
    s, created = services.convention_sign(jurisdiction=j, version_number=1, name="张三", phone="13812345678")
    assert created and s.version == v1
    assert services.convention_sign(jurisdiction=j, version_number=1, name="张三", phone="13812345678")[1] is False
    v2 = services.convention_publish(jurisdiction=j, actor=staff, title="小哥公约", text="一、安全骑行。二、文明礼让。")
    assert v2.number == 2
    with pytest.raises(Conflict) as exc:
        services.convention_sign(jurisdiction=j, version_number=1, name="李四", phone="13900001111")
    assert exc.value.code == "stale_version" and ConventionSignOff.objects.count() == 1


def test_riders_list_masked_for_viewers_and_duplicates_refused(outreach):
    j, users = outreach["j"], outreach["users"]
    r = services.rider_add(jurisdiction=j, actor=users["union"], name="王小哥", phone="13812345678",
                           role="mobile_grid", platform="美团")
    with pytest.raises(Conflict) as exc:
        services.rider_add(jurisdiction=j, actor=users["union"], name="王小哥", phone="138-1234-5678", role="volunteer")
    assert exc.value.code == "duplicate_rider"
    with pytest.raises(ApplicationError) as exc:
        services.rider_add(jurisdiction=j, actor=users["union"], name="李", phone="13812345679", role="boss")
    assert exc.value.code == "invalid_role" and GovernanceRider.objects.count() == 1
    full = selectors.riders_for(jurisdiction=j, user=users["union"])[0]
    masked = selectors.riders_for(jurisdiction=j, user=users["leader"])[0]
    assert (full["name"], full["phone"]) == ("王小哥", "13812345678")
    assert (masked["name"], masked["phone"], masked["masked"]) == ("王**", "138****5678", True)
    services.rider_set_active(jurisdiction=j, actor=users["union"], rider_id=r.pk, active=False)
    assert selectors.riders_for(jurisdiction=j, user=users["union"], active_only=True) == []
