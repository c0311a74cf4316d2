"""Background jobs of the case loop, through Django's tasks API."""

from django.tasks import task


@task()
def send_notifications(notification_ids: list[int]) -> int:
    from wangge.cases import notify

    return notify.send(notification_ids)


@task()
def sla_sweep_task() -> dict:
    from wangge.cases.sweep import sla_sweep

    return sla_sweep()
