"""Races on real separate connections (SQLite and PostgreSQL): the last seat goes to exactly one rider."""

import pytest

from wangge.cases.tests.test_concurrency import race
from wangge.outreach import services
from wangge.outreach.models import Event, SignUp, SurveyResponse
from wangge.outreach.tests.test_services import GOOD


@pytest.mark.django_db(transaction=True)
def test_two_riders_take_the_last_seat_at_once_one_gets_it(outreach):
    ev = outreach["small"]
    services.event_signup(event_id=ev.pk, name="甲", phone="13800000001")  # one of two seats left
    outcomes = race([
        lambda: services.event_signup(event_id=ev.pk, name="乙", phone="13800000002"),
        lambda: services.event_signup(event_id=ev.pk, name="丙", phone="13800000003"),
    ])
    assert outcomes == ["event_full", "ok"]
    assert Event.objects.get(pk=ev.pk).seats_taken == 2 and SignUp.objects.filter(event=ev).count() == 2


@pytest.mark.django_db(transaction=True)
def test_many_riders_for_few_seats(outreach):
    ev = outreach["small"]
    outcomes = race([lambda i=i: services.event_signup(event_id=ev.pk, name="骑手", phone=f"1390000000{i}")
                     for i in range(5)])
    assert outcomes == ["event_full"] * 3 + ["ok"] * 2
    assert Event.objects.get(pk=ev.pk).seats_taken == 2 and SignUp.objects.filter(event=ev).count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_same_phone_twice_at_once_is_one_signup_and_one_seat(outreach):
    ev = outreach["big"]
    outcomes = race([lambda: services.event_signup(event_id=ev.pk, name="甲", phone="13800000001")] * 3)
    assert outcomes == ["ok"] * 3
    assert Event.objects.get(pk=ev.pk).seats_taken == 1 and SignUp.objects.filter(event=ev).count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_survey_answer_sent_twice_at_once_is_kept_once(outreach):
    code = outreach["survey"].code
    outcomes = race([lambda: services.survey_answer(code=code, answers=GOOD, idempotency_key="tap", device_key="d")] * 2)
    assert set(outcomes) <= {"ok", "already_answered"} and "ok" in outcomes
    assert SurveyResponse.objects.count() == 1
