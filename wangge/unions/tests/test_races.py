"""Races on real separate connections (SQLite and PostgreSQL): the same phone joining twice at the same
moment is one membership; two staff reviewing one application at once — one wins."""

from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.cases.tests.test_concurrency import race
from wangge.unions import services
from wangge.unions.models import Membership, PhoneConfirmation
from wangge.unions.tests.conftest import PHONE, join_args, last_code

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_confirmed_inserts_of_one_phone_at_once_make_one_membership(unions):
    results = []

    def record(name):
        def run():
            results.append(services.membership_insert(union=unions["riders"], phone=PHONE, confirmed_at=timezone.now(),
                                                      name=name, id_fragment="", platform="美团", occupation="delivery"))
        return run

    outcomes = race([record("张三"), record("张三"), record("张三")])
    assert outcomes == ["ok", "ok", "ok"]
    assert Membership.objects.filter(phone=PHONE).count() == 1
    assert sorted(created for _m, created in results) == [False, False, True]
    assert len({m.pk for m, _created in results}) == 1  # the losers got the winner's row


def test_the_same_join_sent_twice_at_once_is_one_membership(unions):
    services.join_code_request(union=unions["riders"], phone=PHONE)
    code = last_code()

    def join():
        try:
            services.membership_join(**join_args(unions["riders"], code=code))
        except services.ApplicationError as exc:  # the loser's code is spent: it is told so, not a 500
            raise services.Conflict(exc.message, code=exc.code) from exc

    result = race([join, join])
    assert result == ["code_used", "ok"]
    assert Membership.objects.count() == 1 and PhoneConfirmation.objects.get().used_at is not None


def test_two_phones_confirmed_for_one_union_at_once_both_join(unions):
    phones = ["13900000001", "13900000002", "13900000003"]
    codes = {}
    for phone in phones:
        services.join_code_request(union=unions["riders"], phone=phone)
        codes[phone] = last_code(phone)
    PhoneConfirmation.objects.update(created_at=timezone.now() - timedelta(seconds=5))
    outcomes = race([lambda p=p: services.membership_join(**join_args(unions["riders"], phone=p, code=codes[p]))
                     for p in phones])
    assert outcomes == ["ok", "ok", "ok"] and Membership.objects.count() == 3


def test_two_staff_review_one_application_at_once(unions):
    services.join_code_request(union=unions["riders"], phone=PHONE)
    m, _ = services.membership_join(**join_args(unions["riders"], code=last_code()))
    second = services.union_staff_add(union=unions["riders"], user=unions["users"]["worker"]).user
    staff = unions["users"]["staff"]
    outcomes = race([
        lambda: services.membership_review(union=unions["riders"], membership_id=m.pk, actor=staff, approve=True),
        lambda: services.membership_review(union=unions["riders"], membership_id=m.pk, actor=second, approve=False,
                                           reason="重复申请"),
    ])
    assert outcomes == ["already_reviewed", "ok"]
    assert Membership.objects.get(pk=m.pk).status in ("approved", "rejected")


def _start(phone, purpose, source_key=""):
    def run():
        try:
            services.phone_confirmation_start(phone=phone, purpose=purpose, source_key=source_key)
        except services.Throttled as exc:  # race() counts Conflicts; a 429 is what a loser gets here
            raise services.Conflict(exc.message, code=exc.code) from exc

    return run


def test_codes_asked_for_one_phone_at_once_never_pass_the_hourly_limit(unions, settings):
    settings.WANGGE_PHONE_CODE_RESEND_SECONDS = 0
    settings.WANGGE_PHONE_CODES_PER_HOUR = 5
    for i in range(4):
        services.phone_confirmation_start(phone=PHONE, purpose=f"test:{i}")
    outcomes = race([_start(PHONE, f"race:{i}") for i in range(4)])
    assert outcomes == ["ok", "too_many_codes", "too_many_codes", "too_many_codes"], outcomes
    assert PhoneConfirmation.objects.filter(phone=PHONE).count() == 5


def test_codes_asked_for_from_one_sender_at_once_never_pass_its_hourly_limit(unions, settings):
    settings.WANGGE_PHONE_CODES_PER_SOURCE_HOUR = 3
    for i in range(2):
        services.phone_confirmation_start(phone=f"1390000000{i}", purpose="test", source_key="ip-a")
    outcomes = race([_start(f"1370000000{i}", "race", source_key="ip-a") for i in range(4)])
    assert outcomes == ["ok", "too_many_codes", "too_many_codes", "too_many_codes"], outcomes
    assert PhoneConfirmation.objects.filter(source_key="ip-a").count() == 3
