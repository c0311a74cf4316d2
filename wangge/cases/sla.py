"""SLA clocks in Chinese working time: one running clock per stage (sign-for, handling, verification),
paused while a shelving (挂账) is approved, extended by approved extensions (延期)."""

from __future__ import annotations

from datetime import datetime, time
from functools import lru_cache

from django.conf import settings
from django.utils import timezone

from wangge.cases.workflow import Snapshot, State
from wangge.cases.worktime import WorkCalendar

STAGE_BY_STATE = {State.DISPATCHED: "sign", State.HANDLING: "handle", State.HANDLED: "verify"}
# Actions after which the stage's clock starts again from zero even if the state is unchanged.
RESTARTS = {"dispatch", "reassign", "verify_fail", "reopen"}


@lru_cache(maxsize=4)
def _calendar(spec: str) -> WorkCalendar:
    periods = []
    for part in spec.split(","):
        start, end = part.strip().split("-")
        periods.append((time.fromisoformat(start), time.fromisoformat(end)))
    return WorkCalendar(periods=tuple(periods))


def calendar() -> WorkCalendar:
    return _calendar(settings.WANGGE_OFFICE_HOURS)


def stage_limit_seconds(case, stage: str, snap: Snapshot) -> float:
    category = case.category
    hours = {"sign": category.sign_hours, "handle": category.handle_hours + snap.extension_hours,
             "verify": category.verify_hours}[stage]
    return hours * 3600.0


def _set_deadlines(case) -> None:
    if not case.sla_stage or case.sla_paused_since is not None:
        case.warn_at = case.deadline_at = None
        return
    cal = calendar()
    base = case.sla_paused_seconds
    case.deadline_at = cal.add_working(case.sla_started_at, case.sla_limit_seconds + base)
    case.warn_at = cal.add_working(case.sla_started_at, case.sla_limit_seconds * settings.WANGGE_SLA_WARN_SHARE + base)


def update_clock(case, *, before: Snapshot, after: Snapshot, action: str, now: datetime) -> None:
    """Keep the stage clock columns in step with the event just applied."""
    stage = STAGE_BY_STATE.get(after.state, "")
    if not stage:
        case.sla_stage, case.sla_started_at, case.sla_limit_seconds = "", None, 0
        case.sla_paused_seconds, case.sla_paused_since = 0, None
        _set_deadlines(case)
        return
    if stage != case.sla_stage or after.state != before.state or action in RESTARTS:
        case.sla_stage, case.sla_started_at = stage, now
        case.sla_limit_seconds = stage_limit_seconds(case, stage, after)
        case.sla_paused_seconds, case.sla_paused_since = 0, (now if after.shelved else None)
    elif action == "approve_extension":
        case.sla_limit_seconds = stage_limit_seconds(case, stage, after)
    elif action == "approve_shelve":
        case.sla_paused_since = now
    elif action == "unshelve" and case.sla_paused_since is not None:
        case.sla_paused_seconds += calendar().working_seconds(case.sla_paused_since, now)
        case.sla_paused_since = None
    _set_deadlines(case)


def elapsed_working_seconds(case, now: datetime | None = None) -> float:
    """Working time the current stage has run, pauses excluded."""
    if not case.sla_stage or case.sla_started_at is None:
        return 0.0
    now = now or timezone.now()
    end = case.sla_paused_since or now
    return max(0.0, calendar().working_seconds(case.sla_started_at, end) - case.sla_paused_seconds)
