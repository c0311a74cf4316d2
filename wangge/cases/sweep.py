"""The SLA sweep: mark cases whose stage clock passed its warning share or its deadline."""

from __future__ import annotations

from django.utils import timezone

from wangge.cases.models import Case
from wangge.core.errors import ApplicationError


def sla_sweep(*, now=None, batch: int = 500) -> dict:
    """Append sla_warning / sla_overdue events where due. Idempotent; safe to run from several workers."""
    from wangge.cases.services import case_act

    now = now or timezone.now()
    counts = {"warning": 0, "overdue": 0, "skipped": 0}
    overdue = Case.objects.filter(deadline_at__lte=now).exclude(sla_status="overdue").values_list("pk", flat=True)
    warning = Case.objects.filter(warn_at__lte=now, deadline_at__gt=now, sla_status="ok").values_list("pk", flat=True)
    for action, ids, key in (("sla_overdue", overdue, "overdue"), ("sla_warning", warning, "warning")):
        for pk in list(ids[:100_000]):
            try:
                case_act(case_id=pk, actor=None, action=action)
                counts[key] += 1
            except ApplicationError:
                counts["skipped"] += 1  # another worker got there first, or the case moved on
    return counts
