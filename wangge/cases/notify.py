"""In-app notifications for every handoff and warning, plus pluggable outbound channels (SMS, WeChat
Work, e-mail) sent by a background task once the transaction has committed. The default outbound backend
only logs."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import router, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from wangge.accounts.models import Role, User
from wangge.cases.models import Case, CaseEvent, Notification, actor_display
from wangge.cases.workflow import ACTIONS
from wangge.core.rows import insert_values

logger = logging.getLogger("wangge.notify")

COLUMNS = ["user", "case", "kind", "message", "params", "created_at", "sent_via"]

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


def _departments(case: Case, audience: set[str]) -> tuple[int, ...]:
    found = [case.lead_department_id] if "lead" in audience and case.lead_department_id else []
    if "assisting" in audience:
        found.extend(case.assisting_ids or [])
    return tuple(sorted(set(found)))


def _audience_key(case: Case, audience: set[str]) -> tuple:
    """Everything about a case that decides who is in `audience`: cases with the same key have the same recipients."""
    return (case.jurisdiction_id, "operators" in audience, _departments(case, audience),
            case.grid_id if "grid" in audience else None, case.pk if "reporter" in audience else None)


def recipient_ids(case: Case, audience: set[str]) -> set[int]:
    """Ids of the active users of the case's jurisdiction in `audience`, in one query (none when nobody can be)."""
    who = Q()
    if "operators" in audience:
        who |= Q(role=Role.OPERATOR)
    if departments := _departments(case, audience):
        who |= Q(role=Role.HANDLER, person__department_id__in=departments)
    if "grid" in audience and case.grid_id:
        who |= Q(role=Role.GRID_WORKER, person__assignments__grid_id=case.grid_id)
    if "reporter" in audience:  # the reporter, and the reporters of every duplicate merged into this case
        if case.reporter_user_id:
            who |= Q(pk=case.reporter_user_id)
        if case.duplicates:  # counts the absorbed duplicates: none, no need to look
            who |= Q(pk__in=Case.objects.filter(merged_into=case.pk).values("reporter_user_id"))
    if not who:
        return set()
    return set(User.objects.filter(who, is_active=True, jurisdiction_id=case.jurisdiction_id).values_list("pk", flat=True))


def recipients(case: Case, audience: set[str]) -> list[User]:
    return list(User.objects.filter(pk__in=recipient_ids(case, audience)))


def after_events(pairs: Iterable[tuple[Case, CaseEvent]]) -> list[int]:
    """Notify the audience of each (case, event) just written: one recipients query per distinct audience, one
    insert for all the rows (plain rows, no model instances: imports notify thousands at once), one outbound task for
    them all. Call it inside the transaction that wrote the events. The new notifications' ids."""
    rows, audiences, now = [], {}, timezone.now()
    with translation.override(settings.LANGUAGE_CODE):  # stored and texted: the street's language, not the actor's
        for case, event in pairs:
            audience = AUDIENCE.get(event.action)
            if not audience:
                continue
            key = _audience_key(case, audience)
            if key not in audiences:
                audiences[key] = sorted(recipient_ids(case, audience))
            params = {"actor": event.actor_label, "reason": event.reason[:120]}
            message = _case_message(case.code, event.action, params)
            rows += [[uid, case.pk, event.action, message, params, now, []]
                     for uid in audiences[key] if uid != event.actor_id]
    ids = insert_values(Notification, COLUMNS, rows)
    if ids:
        send_after_commit(ids)
    return ids


def operators_notify(*, jurisdiction_id: int, kind: str, template: str, args: dict, also: Iterable[int] = ()) -> list[int]:
    """One notice without a case to the jurisdiction's active operators (and the users `also`, e.g. whoever started
    the work), sent outbound after the commit like the others: what an import says once instead of once per case.
    `template`: an untranslated msgid (marked with gettext_noop) with %(name)s placeholders filled from `args`; it is
    texted in the street's language and shown to each reader in theirs."""
    ids = set(User.objects.filter(Q(role=Role.OPERATOR) | Q(pk__in=list(also)), is_active=True,
                                  jurisdiction_id=jurisdiction_id).values_list("pk", flat=True))
    params = {"template": template, "args": args}
    with translation.override(settings.LANGUAGE_CODE):
        message = _notice_message(params)
    rows = [[uid, None, kind, message, params, timezone.now(), []] for uid in sorted(ids)]
    ids_out = insert_values(Notification, COLUMNS, rows)
    if ids_out:
        send_after_commit(ids_out)
    return ids_out


def _case_message(code: str, action: str, params: dict) -> str:
    message = f"{code} · {ACTIONS[action].label} · {actor_display(params.get('actor', ''))}"
    if params.get("reason"):
        message += f": {params['reason']}"
    return message[:300]


def _notice_message(params: dict) -> str:
    return (gettext(params["template"]) % params.get("args", {}))[:300]


def render(n: Notification) -> str:
    """The notification in the active language, from what it was made of; as stored where that is not known (rows
    written before `params`, or a template that no longer fits its arguments)."""
    p = n.params or {}
    try:
        if n.case_id and n.kind in ACTIONS and "actor" in p:
            return _case_message(n.case.code, n.kind, p)
        if "template" in p:
            return _notice_message(p)
    except (KeyError, TypeError, ValueError):
        pass
    return n.message


def after_event(*, case: Case, event: CaseEvent) -> list[int]:
    return after_events([(case, event)])


def _queue_commits_with_us(task) -> bool:
    """True when the task queue is a table in the database we are writing: a task row inserted inside the
    transaction becomes visible to the workers only when the transaction commits, and vanishes with it on a
    rollback (a transactional outbox: no extra commit, and no task lost between our commit and the enqueue)."""
    try:
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database queue is a dependency
        return False
    return isinstance(task.get_backend(), DatabaseBackend) and router.db_for_write(DBTaskResult) == router.db_for_write(Notification)


def send_after_commit(notification_ids: list[int]) -> None:
    """Enqueue one outbound task for these notifications that runs only after the current transaction commits."""
    from wangge.cases.tasks import send_notifications

    if _queue_commits_with_us(send_notifications):
        send_notifications.enqueue(notification_ids)
    else:  # a queue outside the database (or tasks run immediately): hand it over once the rows are committed
        transaction.on_commit(lambda: send_notifications.enqueue(notification_ids))


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
