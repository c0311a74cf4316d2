from django.tasks import task

from wangge.unions.services import phone_confirmation_purge


@task()
def phone_codes_purge_task() -> int:
    """Periodic: forget one-time phone codes older than a day (they hold phone numbers)."""
    return phone_confirmation_purge()
