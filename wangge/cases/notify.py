"""In-app notifications for every handoff and warning, plus pluggable outbound channels (SMS, WeChat
Work, e-mail) sent by a background task after the transaction commits. The default outbound backend
only logs."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from wangge.accounts.models import Role, User
from wangge.cases.models import Case, CaseEvent, Notification
from wangge.cases.workflow import ACTIONS

logger = logging.getLogger("wangge.notify")

# Who hears about each action: operators, the lead / assisting departments' handlers, the grid's workers,
# the reporter.
AUDIENCE = {
    "report": {"operators"},
    "dispatch": {"lead", "assisting"}, "reassign": {"lead", "assisting"},
    "return": {"operators"}, "escalate": {"operators"},
    "feedback": {"grid", "operators"}, "assist_feedback": {"lead"},
    "verify_fail": {"lead"}, "verify_pass": {"operators"},
    "request_extension": {"operators"}, "request_shelve": {"operators"},
    "approve_extension": {"lead"}, "refuse_extension": {"lead"}, "approve_shelve": {"lead"}, "refuse_shelve": {"lead"},
    "supervise": {"lead", "assisting"}, "close": {"reporter"}, "absorb": {"operators"},
    "sla_warning": {"lead"}, "sla_overdue": {"lead", "operators"}, "reopen": {"operators"},
}


class LoggingBackend:
    """Outbound channel that writes to the log (default; real SMS/WeChat backends share the interface)."""

    name = "log"

    def send(self, *, user: User, message: str, phone: str = "") -> None:
        logger.info("notify %s (%s): %s", user.username, phone or "-", message)


def recipients(case: Case, audience: set[str]) -> list[User]:
    users = User.objects.filter(is_active=True, jurisdiction_id=case.jurisdiction_id)
    found: dict[int, User] = {}
    if "operators" in audience:
        found.update({u.pk: u for u in users.filter(role=Role.OPERATOR)})
    departments = []
    if "lead" in audience and case.lead_department_id:
        departments.append(case.lead_department_id)
    if "assisting" in audience:
        departments.extend(case.assisting_ids or [])
    if departments:
        found.update({u.pk: u for u in users.filter(role=Role.HANDLER, person__department_id__in=departments)})
    if "grid" in audience and case.grid_id:
        found.update({u.pk: u for u in users.filter(role=Role.GRID_WORKER, person__assignments__grid_id=case.grid_id)})
    if "reporter" in audience:  # the reporter, and the reporters of every duplicate merged into this case
        ids = [case.reporter_user_id, *Case.objects.filter(merged_into=case).values_list("reporter_user_id", flat=True)]
        found.update({u.pk: u for u in users.filter(pk__in=[i for i in ids if i])})
    return list(found.values())


def after_event(*, case: Case, event: CaseEvent) -> list[Notification]:
    audience = AUDIENCE.get(event.action)
    if not audience:
        return []
    message = f"{case.code} · {ACTIONS[event.action].label} · {event.actor_label}"
    if event.reason:
        message += f": {event.reason[:120]}"
    rows = [Notification(user=u, case=case, kind=event.action, message=message[:300])
            for u in recipients(case, audience) if u.pk != event.actor_id]
    Notification.objects.bulk_create(rows)
    ids = [n.pk for n in rows if n.pk]
    if ids:
        from wangge.cases.tasks import send_notifications

        transaction.on_commit(lambda: send_notifications.enqueue(ids))
    return rows


def send(notification_ids: list[int]) -> int:
    backends = [import_string(path)() for path in settings.WANGGE_NOTIFY_BACKENDS]
    sent = 0
    for n in Notification.objects.filter(pk__in=notification_ids, sent_via=[]).select_related("user__person"):
        phone = getattr(getattr(n.user, "person", None), "phone", "")
        for backend in backends:
            backend.send(user=n.user, message=n.message, phone=phone)
        n.sent_via = [b.name for b in backends]
        n.save(update_fields=["sent_via"])
        sent += 1
    return sent
