"""The SLA sweep: mark cases whose stage clock passed its warning share or its deadline."""

from __future__ import annotations

from django.utils import timezone

from wangge.cases.models import Case


def sla_sweep(*, now=None, batch: int = 500) -> dict:
    """Append sla_warning / sla_overdue events where due, in batches of `batch` cases per transaction.
    Idempotent; safe to run from several workers (a case already marked, or moved on, is skipped)."""
    from wangge.cases.services import cases_sla_mark

    now = now or timezone.now()
    counts = {"warning": 0, "overdue": 0, "skipped": 0}
    overdue = Case.objects.filter(deadline_at__lte=now).exclude(sla_status="overdue").values_list("pk", flat=True)
    warning = Case.objects.filter(warn_at__lte=now, deadline_at__gt=now, sla_status="ok").values_list("pk", flat=True)
    for action, ids, key in (("sla_overdue", overdue, "overdue"), ("sla_warning", warning, "warning")):
        ids = list(ids)
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            marked = cases_sla_mark(case_ids=chunk, action=action, now=now)
            counts[key] += marked
            counts["skipped"] += len(chunk) - marked
    return counts
