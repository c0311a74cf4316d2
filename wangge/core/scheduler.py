"""Periodic jobs with exactly one scheduler across all machines: a lease row in the database. Every
`run_scheduler` process tries to take or renew the lease; only its holder enqueues jobs."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from wangge.core.models import SchedulerLease


def lease_acquire(*, name: str, holder: str, ttl_seconds: int) -> bool:
    """Take or renew the lease; True if `holder` holds it now. Atomic in one UPDATE."""
    now = timezone.now()
    expires = now + timedelta(seconds=ttl_seconds)
    updated = SchedulerLease.objects.filter(Q(name=name) & (Q(holder=holder) | Q(expires_at__lt=now))).update(
        holder=holder, expires_at=expires
    )
    if updated:
        return True
    try:
        with transaction.atomic():
            SchedulerLease.objects.create(name=name, holder=holder, expires_at=expires)
        return True
    except IntegrityError:
        return False
