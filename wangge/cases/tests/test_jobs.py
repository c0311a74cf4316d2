"""Background work: the SLA sweep, notifications, the scheduler lease, the replay check, and jobs run by the
real database-backed worker (`db_worker`), not only the immediate backend."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from conftest import metres
from wangge.cases import services
from wangge.cases.models import Case, Notification
from wangge.cases.sweep import sla_sweep
from wangge.core.scheduler import lease_acquire


def dispatched(loop):
    u, d = loop["users"], loop["departments"]
    p = metres(100, 300, 101, 301).centroid
    case, _ = services.case_report(jurisdiction=loop["j"], actor=u["operator"], channel="resident", category_code="SJ0101",
                                   description="时限测试", lon=p.x, lat=p.y)
    services.case_act(case_id=case.pk, actor=u["operator"], action="accept")
    services.case_act(case_id=case.pk, actor=u["operator"], action="dispatch", payload={"lead_department_id": d["urban"].pk})
    case.refresh_from_db()
    return case


def test_sweep_warns_then_marks_overdue_once(loop):
    case = dispatched(loop)
    assert sla_sweep(now=case.warn_at - timedelta(seconds=1)) == {"warning": 0, "overdue": 0, "skipped": 0}
    assert sla_sweep(now=case.warn_at + timedelta(seconds=1))["warning"] == 1
    assert sla_sweep(now=case.warn_at + timedelta(seconds=2))["warning"] == 0  # idempotent
    assert sla_sweep(now=case.deadline_at + timedelta(seconds=1))["overdue"] == 1
    assert sla_sweep(now=case.deadline_at + timedelta(days=3))["overdue"] == 0
    case.refresh_from_db()
    assert case.sla_status == "overdue"
    assert list(case.events.values_list("action", flat=True))[-2:] == ["sla_warning", "sla_overdue"]
    assert Notification.objects.filter(case=case, kind="sla_overdue", user=loop["users"]["handler"]).exists()
    # Signing starts the next stage's clock afresh.
    services.case_act(case_id=case.pk, actor=loop["users"]["handler"], action="sign")
    case.refresh_from_db()
    assert case.sla_status == "ok" and case.sla_stage == "handle"


def test_shelved_cases_are_not_swept(loop):
    case = dispatched(loop)
    u = loop["users"]
    services.case_act(case_id=case.pk, actor=u["handler"], action="request_shelve", reason="等待")
    services.case_act(case_id=case.pk, actor=u["operator"], action="approve_shelve")
    assert sla_sweep(now=timezone.now() + timedelta(days=60)) == {"warning": 0, "overdue": 0, "skipped": 0}


def test_scheduler_lease_has_one_holder(db):
    assert lease_acquire(name="periodic", holder="a", ttl_seconds=60)
    assert not lease_acquire(name="periodic", holder="b", ttl_seconds=60)
    assert lease_acquire(name="periodic", holder="a", ttl_seconds=60)  # renewal
    from wangge.core.models import SchedulerLease

    SchedulerLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert lease_acquire(name="periodic", holder="b", ttl_seconds=60)  # a died: b takes over


def test_replay_check_finds_a_tampered_case(loop):
    case = dispatched(loop)
    out = io.StringIO()
    call_command("cases_replay_check", stdout=out)
    assert "1 cases match" in out.getvalue()
    Case.objects.filter(pk=case.pk).update(state="closed", verified_once=True)  # what no service would do
    with pytest.raises(CommandError, match="1 of 1 cases differ"):
        call_command("cases_replay_check", stdout=io.StringIO())


def test_only_the_case_services_write_case_state():
    """Architecture check: outside cases/services.py nothing assigns a case's state."""
    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"\.state\s*=[^=]|update\([^)]*\bstate\s*=")
    offenders = [
        f"{path.relative_to(root)}:{n}" for path in root.rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts and path.name != "services.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)
    ]
    assert offenders == []


@pytest.mark.django_db(transaction=True)
def test_jobs_run_through_the_real_database_worker(loop):
    """Enqueued with django-tasks-db, executed by `manage.py db_worker --batch` in this process."""
    from django.tasks import task_backends

    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        task_backends._settings = None  # re-read TASKS
        try:
            from wangge.cases.tasks import sla_sweep_task

            case = dispatched(loop)  # its notifications are enqueued on commit
            result = sla_sweep_task.enqueue()
            assert result.status == "READY"
            call_command("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", stdout=io.StringIO())
            result.refresh()
            assert result.status == "SUCCESSFUL" and result.return_value == {"warning": 0, "overdue": 0, "skipped": 0}
            sent = Notification.objects.filter(case=case).exclude(sent_via=[])
            assert sent.exists() and set(sent.values_list("sent_via", flat=True)[0]) == {"log"}
        finally:
            task_backends._settings = None
