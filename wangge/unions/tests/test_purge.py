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
