"""The scheduler forgets one-time phone codes older than a day; the last hour's stay for the per-hour limits."""

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from wangge.unions import services
from wangge.unions.models import PhoneConfirmation


def test_the_scheduler_purges_old_phone_codes(unions):
    services.phone_confirmation_start(phone="13800000001", purpose="test")
    services.phone_confirmation_start(phone="13800000002", purpose="test")
    old = PhoneConfirmation.objects.get(phone="13800000001")
    PhoneConfirmation.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    call_command("run_scheduler", "--once", stdout=StringIO())
    assert list(PhoneConfirmation.objects.values_list("phone", flat=True)) == ["13800000002"]


def test_the_purge_forgets_old_code_request_locks_and_a_new_request_locks_again(unions):
    """The lock rows (one per phone and sender, keyed hashes) go with the codes after a day; the next request
    for the same phone creates its row again and is still limited by the last hour's codes."""
    from wangge.unions.models import CodeRequestLock

    services.phone_confirmation_start(phone="13800000003", purpose="test", source_key="ip-a")
    assert CodeRequestLock.objects.count() == 2
    CodeRequestLock.objects.update(created_at=timezone.now() - timedelta(days=2))
    services.phone_confirmation_purge()
    assert CodeRequestLock.objects.count() == 0
    assert PhoneConfirmation.objects.filter(phone="13800000003").count() == 1  # the last hour's code stays
    PhoneConfirmation.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    services.phone_confirmation_start(phone="13800000003", purpose="test", source_key="ip-a")
    assert CodeRequestLock.objects.count() == 2
    assert PhoneConfirmation.objects.filter(phone="13800000003").count() == 2
