"""Phone confirmation and joining: the happy path, and every bad input refused precisely with nothing lost."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from python_calamine import CalamineWorkbook

from wangge.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from wangge.unions import services
from wangge.unions.models import ExportLog, Membership, PhoneConfirmation
from wangge.unions.sms import sent_messages
from wangge.unions.tests.conftest import PHONE, join_args, joined, last_code


def test_join_confirms_the_phone_and_records_a_pending_membership(unions):
    union = unions["riders"]
    conf = services.join_code_request(union=union, phone="+86 138-1234-5678")
    assert conf.phone == PHONE and conf.purpose == "join:t1-riders"
    code = last_code()
    assert code not in conf.code_hash and len(conf.code_hash) == 64  # only a keyed hash is stored
    assert "测试街道新就业形态劳动者工会联合会" in sent_messages(PHONE)[-1]["message"]
    membership, created = services.membership_join(**join_args(union, code=code))
    assert created and membership.status == "pending" and membership.phone == PHONE
    assert membership.id_fragment == "123X" and membership.platform == "美团"
    assert membership.member_no == f"T1-RIDERS-{membership.pk:06d}"
    assert PhoneConfirmation.objects.get(pk=conf.pk).used_at is not None


def test_a_phone_already_a_member_gets_its_membership_back(unions):
    first, created = joined(unions["riders"])
    assert created
    PhoneConfirmation.objects.update(created_at=timezone.now() - timedelta(minutes=2))  # past the resend cool-down
    again, created = joined(unions["riders"], name="张三丰")
    assert not created and again.pk == first.pk and again.name == "张三"  # the existing one, unchanged
    assert Membership.objects.count() == 1
    other, created = joined(unions["merchants"])  # another union is another membership
    assert created and Membership.objects.count() == 2


def test_a_rejected_member_applies_again_and_goes_back_to_review(unions):
    m, _ = joined(unions["riders"])
    services.membership_review(union=unions["riders"], membership_id=m.pk, actor=unions["users"]["staff"],
                               approve=False, reason="信息不全")
    PhoneConfirmation.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    again, created = joined(unions["riders"], platform="饿了么")
    assert not created and again.pk == m.pk
    assert again.status == "pending" and again.reason == "" and again.reviewed_by is None and again.platform == "饿了么"


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "138123456789", "abc", "", "２３８１２３４５６７８",
                                   "23812345678", "1381234567x"])
def test_malformed_phone_numbers_are_refused(unions, phone):
    with pytest.raises(ApplicationError) as exc:
        services.join_code_request(union=unions["riders"], phone=phone)
    assert exc.value.code == "invalid_phone" and exc.value.status == 422
    assert PhoneConfirmation.objects.count() == 0 and sent_messages() == []


@pytest.mark.parametrize("fragment", ["12", "12345", "X123", "12a4", "12-4", "１２３４"])
def test_bad_id_fragments_are_refused_before_the_code_is_spent(unions, fragment):
    services.join_code_request(union=unions["riders"], phone=PHONE)
    with pytest.raises(ApplicationError) as exc:
        services.membership_join(**join_args(unions["riders"], code=last_code(), id_fragment=fragment))
    assert exc.value.code == "invalid_id_fragment"
    assert Membership.objects.count() == 0
    assert PhoneConfirmation.objects.get().used_at is None  # the code still works once the field is fixed
    m, created = services.membership_join(**join_args(unions["riders"], code=last_code(), id_fragment="0012"))
    assert created and m.id_fragment == "0012"


@pytest.mark.parametrize(("extra", "code"), [
    ({"name": "  "}, "name_required"), ({"name": "名" * 31}, "invalid_name"),
    ({"occupation": "astronaut"}, "invalid_occupation"), ({"platform": "淘宝"}, "invalid_platform"),
    ({"consent": False}, "consent_required"),
])
def test_other_bad_fields_are_refused_and_nothing_is_written(unions, extra, code):
    services.join_code_request(union=unions["riders"], phone=PHONE)
    with pytest.raises(ApplicationError) as exc:
        services.membership_join(**join_args(unions["riders"], code=last_code(), **extra))
    assert exc.value.code == code and Membership.objects.count() == 0
    assert PhoneConfirmation.objects.get().used_at is None


def test_a_forged_code_counts_a_wrong_try_and_the_right_one_still_works(unions):
    services.join_code_request(union=unions["riders"], phone=PHONE)
    real = last_code()
    forged = f"{(int(real) + 1) % 10**6:06d}"
    with pytest.raises(ApplicationError) as exc:
        services.membership_join(**join_args(unions["riders"], code=forged))
    assert exc.value.code == "wrong_code" and exc.value.details == {"tries_left": 4}
    assert PhoneConfirmation.objects.get().attempts == 1  # kept although the call failed
    for bad in ("12345", "abcdef", "1234567", ""):
        with pytest.raises(ApplicationError) as exc:
            services.membership_join(**join_args(unions["riders"], code=bad))
        assert exc.value.code == "invalid_code"
    assert PhoneConfirmation.objects.get().attempts == 1  # malformed codes are not tries
    m, created = services.membership_join(**join_args(unions["riders"], code=real))
    assert created and m.status == "pending"


def test_a_used_code_cannot_be_replayed(unions):
    services.join_code_request(union=unions["riders"], phone=PHONE)
    code = last_code()
    services.membership_join(**join_args(unions["riders"], code=code))
    with pytest.raises(ApplicationError) as exc:
        services.membership_join(**join_args(unions["riders"], code=code))
    assert exc.value.code == "code_used"
    with pytest.raises(ApplicationError) as exc:
        services.phone_confirmation_check(phone=PHONE, purpose="join:t1-riders", code=code)
    assert exc.value.code == "code_used"


def test_a_code_for_one_union_does_not_join_another(unions):
    services.join_code_request(union=unions["riders"], phone=PHONE)
    with pytest.raises(ApplicationError) as exc:
        services.membership_join(**join_args(unions["merchants"], code=last_code()))
    assert exc.value.code == "no_code" and Membership.objects.count() == 0


def test_an_expired_code_is_refused(unions):
    services.join_code_request(union=unions["riders"], phone=PHONE)
    PhoneConfirmation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ApplicationError) as exc:
        services.membership_join(**join_args(unions["riders"], code=last_code()))
    assert exc.value.code == "code_expired" and Membership.objects.count() == 0


def test_too_many_wrong_tries_kill_the_code(unions):
    services.join_code_request(union=unions["riders"], phone=PHONE)
    real = last_code()
    wrong = f"{(int(real) + 7) % 10**6:06d}"
    left = []
    for _ in range(5):
        with pytest.raises(ApplicationError) as exc:
            services.phone_confirmation_check(phone=PHONE, purpose="join:t1-riders", code=wrong)
        left.append(exc.value.details["tries_left"])
    assert left == [4, 3, 2, 1, 0]
    with pytest.raises(services.Throttled) as exc:
        services.phone_confirmation_check(phone=PHONE, purpose="join:t1-riders", code=real)  # even the right one
    assert exc.value.status == 429 and exc.value.code == "too_many_attempts"
    assert PhoneConfirmation.objects.get().used_at is None and Membership.objects.count() == 0


def test_a_new_code_replaces_the_old_one(unions):
    services.join_code_request(union=unions["riders"], phone=PHONE)
    old = last_code()
    PhoneConfirmation.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    services.join_code_request(union=unions["riders"], phone=PHONE)
    new = last_code()
    if old != new:
        with pytest.raises(ApplicationError) as exc:
            services.phone_confirmation_check(phone=PHONE, purpose="join:t1-riders", code=old)
        assert exc.value.code == "wrong_code"
    assert services.phone_confirmation_check(phone=PHONE, purpose="join:t1-riders", code=new).used_at is not None


def test_codes_are_throttled_per_phone_and_per_sender(unions, settings):
    union = unions["riders"]
    services.join_code_request(union=union, phone=PHONE)
    with pytest.raises(services.Throttled) as exc:
        services.join_code_request(union=union, phone=PHONE)
    assert exc.value.code == "resend_too_soon" and 0 < exc.value.details["retry_after"] <= 60
    settings.WANGGE_PHONE_CODE_RESEND_SECONDS = 0
    for _ in range(4):
        services.join_code_request(union=union, phone=PHONE)
    with pytest.raises(services.Throttled) as exc:
        services.join_code_request(union=union, phone=PHONE)
    assert exc.value.code == "too_many_codes" and exc.value.status == 429
    assert PhoneConfirmation.objects.filter(phone=PHONE).count() == 5 and len(sent_messages(PHONE)) == 5
    # An hour later the phone may ask again.
    PhoneConfirmation.objects.update(created_at=timezone.now() - timedelta(hours=1, seconds=1))
    services.join_code_request(union=union, phone=PHONE)
    # One sender asking for many phones (an SMS bomb) is stopped too.
    settings.WANGGE_PHONE_CODES_PER_SOURCE_HOUR = 3
    for i in range(3):
        services.join_code_request(union=union, phone=f"1390000000{i}", source_key="ip-a")
    with pytest.raises(services.Throttled):
        services.join_code_request(union=union, phone="13900000009", source_key="ip-a")
    services.join_code_request(union=union, phone="13900000009", source_key="ip-b")


def test_a_failing_sms_provider_is_a_503_and_the_code_is_dead(unions, settings):
    settings.WANGGE_SMS_BACKEND = "wangge.unions.tests.test_services.BrokenSms"
    with pytest.raises(services.ServiceUnavailable) as exc:
        services.join_code_request(union=unions["riders"], phone=PHONE)
    assert exc.value.status == 503 and exc.value.code == "sms_failed"
    assert PhoneConfirmation.objects.get().used_at is not None
    settings.WANGGE_SMS_BACKEND = "wangge.unions.sms.LoggingSmsBackend"
    services.join_code_request(union=unions["riders"], phone=PHONE)  # no cool-down after a failed send


class BrokenSms:
    def send(self, *, phone, message):
        raise OSError("provider down")


def test_confirmation_is_reusable_by_other_apps(unions):
    services.phone_confirmation_start(phone=PHONE, purpose="stations:pledge", label="商户承诺")
    assert "商户承诺" in sent_messages(PHONE)[-1]["message"]
    conf = services.phone_confirmation_check(phone=PHONE, purpose="stations:pledge", code=last_code())
    assert conf.purpose == "stations:pledge" and conf.used_at is not None


def test_a_closed_union_takes_no_codes_and_no_members(unions):
    union = unions["riders"]
    services.join_code_request(union=union, phone=PHONE)
    code = last_code()
    union.active = False
    union.save()
    with pytest.raises(Conflict) as exc:
        services.join_code_request(union=union, phone="13900000001")
    assert exc.value.code == "union_closed"
    with pytest.raises(Conflict):
        services.membership_join(**join_args(union, code=code))
    assert Membership.objects.count() == 0


def test_an_insert_that_loses_to_another_returns_the_existing_membership(unions):
    first, _ = joined(unions["riders"])
    again, created = services.membership_insert(union=unions["riders"], phone=PHONE, confirmed_at=timezone.now(),
                                                name="另一个", id_fragment="", platform="", occupation="courier")
    assert not created and again.pk == first.pk and Membership.objects.count() == 1


def test_card_tokens_are_bound_to_the_membership(unions):
    m, _ = joined(unions["riders"])
    token = services.card_token(m)
    assert services.membership_from_token(token).pk == m.pk
    for bad in (token + "x", token.replace(":", ";"), "garbage", services.verify_token(m)):
        with pytest.raises(NotFound):
            services.membership_from_token(bad)
    Membership.objects.filter(pk=m.pk).update(phone="13900000000")  # the phone changed: old cards die
    with pytest.raises(NotFound):
        services.membership_from_token(token)


def test_review_only_by_the_unions_staff_once_and_rejection_needs_a_reason(unions):
    m, _ = joined(unions["riders"])
    u = unions["users"]
    for who in ("merchant_staff", "admin", "operator", "far_staff"):
        with pytest.raises(PermissionDenied):
            services.membership_review(union=unions["riders"], membership_id=m.pk, actor=u[who], approve=True)
    with pytest.raises(NotFound):  # a member of another union is not reachable through this one
        services.membership_review(union=unions["merchants"], membership_id=m.pk, actor=u["merchant_staff"],
                                   approve=True)
    with pytest.raises(ApplicationError) as exc:
        services.membership_review(union=unions["riders"], membership_id=m.pk, actor=u["staff"], approve=False,
                                   reason="  ")
    assert exc.value.code == "reason_required"
    m.refresh_from_db()
    assert m.status == "pending" and m.reviewed_by is None
    done = services.membership_review(union=unions["riders"], membership_id=m.pk, actor=u["staff"], approve=True)
    assert done.status == "approved" and done.reviewed_by == u["staff"] and done.reviewed_at is not None
    with pytest.raises(Conflict) as exc:
        services.membership_review(union=unions["riders"], membership_id=m.pk, actor=u["staff"], approve=False,
                                   reason="改主意了")
    assert exc.value.code == "already_reviewed"
    assert Membership.objects.get(pk=m.pk).status == "approved"


def test_export_is_for_the_unions_staff_and_is_logged(unions):
    joined(unions["riders"])
    joined(unions["riders"], phone="13900001111", name="李四", id_fragment="")
    u = unions["users"]
    with pytest.raises(PermissionDenied):
        services.membership_export(union=unions["riders"], actor=u["admin"])
    assert ExportLog.objects.count() == 0
    data, rows = services.membership_export(union=unions["riders"], actor=u["staff"], status="pending")
    assert rows == 2 and data[:2] == b"PK"
    log = ExportLog.objects.get()
    assert (log.user, log.username, log.rows, log.filters) == (u["staff"], "union01", 2, {"status": "pending", "q": ""})
    values = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert values[0][:3] == ["会员编号", "姓名", "手机号"]
    assert {v[1] for v in values[1:]} == {"张三", "李四"} and {v[2] for v in values[1:]} == {PHONE, "13900001111"}


def test_old_codes_are_purged_but_the_last_hour_is_kept_for_the_limits(unions):
    services.join_code_request(union=unions["riders"], phone=PHONE)
    services.join_code_request(union=unions["riders"], phone="13900000001")
    PhoneConfirmation.objects.filter(phone=PHONE).update(created_at=timezone.now() - timedelta(days=2))
    assert services.phone_confirmation_purge(older_than=timedelta(seconds=1)) == 1  # at least an hour is kept
    assert list(PhoneConfirmation.objects.values_list("phone", flat=True)) == ["13900000001"]
