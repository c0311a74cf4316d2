"""Reads of cases, scoped to the user: the operator queue, department inbox, grid worker list, case page."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import Role
from wangge.cases.models import Case, Category, Notification, actor_display
from wangge.cases.workflow import ACTIONS, State
from wangge.core.errors import NotFound
from wangge.core.models import Jurisdiction
from wangge.core.privacy import mask_name, mask_phone
from wangge.grids.models import Grid


def cases_visible_to(*, user, jurisdiction: Jurisdiction) -> QuerySet[Case]:
    """Operators, leaders, admins: every case. Handlers: cases their department leads or assists (or did).
    Grid workers: cases in their grids and those they reported."""
    qs = Case.objects.filter(jurisdiction=jurisdiction)
    if user.is_jurisdiction_wide:
        return qs
    if user.role == Role.HANDLER:
        department_id = getattr(getattr(user, "person", None), "department_id", None)
        if not department_id:
            return qs.none()
        return qs.filter(parties__department_id=department_id).distinct()
    if user.role == Role.GRID_WORKER:
        return qs.filter(Q(grid__assignments__person__user=user) | Q(reporter_user=user)).distinct()
    return qs.filter(reporter_user=user)


def can_see_reporter(*, user, case: Case) -> bool:
    if user.is_jurisdiction_wide or case.reporter_user_id == user.pk:
        return True
    department_id = getattr(getattr(user, "person", None), "department_id", None)
    if user.role == Role.HANDLER and department_id and (
        department_id == case.lead_department_id or department_id in (case.assisting_ids or [])
    ):
        return True
    return user.role == Role.GRID_WORKER and case.grid_id is not None and case.grid.assignments.filter(person__user=user).exists()


def case_get_for_user(*, user, jurisdiction: Jurisdiction, code: str) -> Case:
    case = (
        cases_visible_to(user=user, jurisdiction=jurisdiction)
        .select_related("category__parent", "grid", "lead_department", "merged_into")
        .filter(code=code).first()
    )
    if case is None:
        raise NotFound(_("Case %(code)s not found.") % {"code": code})
    return case


def reporter_view(*, user, case: Case) -> dict:
    if can_see_reporter(user=user, case=case):
        return {"name": case.reporter_name, "phone": case.reporter_phone, "masked": False}
    return {"name": mask_name(case.reporter_name), "phone": mask_phone(case.reporter_phone) if case.reporter_phone else "",
            "masked": True}


def queue(*, user, jurisdiction: Jurisdiction, state: str | None = None, grid: str | None = None,
          department: int | None = None, category: str | None = None, channel: str | None = None,
          lateness: str | None = None, mine: bool = False, q: str | None = None) -> QuerySet[Case]:
    """The live queue with its filters; `lateness` is 'overdue' or 'soon' (past the warning share)."""
    qs = (cases_visible_to(user=user, jurisdiction=jurisdiction).select_related("category", "grid", "lead_department")
          .defer("grid__geometry"))  # a page of 50 must not decode 50 grid polygons
    if state == "open":
        qs = qs.filter(is_open=True)
    elif state:
        qs = qs.filter(state=state)
    if grid:  # resolve codes to ids first: the filters then ride the case indexes instead of joins
        qs = qs.filter(grid_id__in=Grid.objects.filter(jurisdiction=jurisdiction, code=grid).values("pk"))
    if department:
        qs = qs.filter(lead_department_id=department)
    if category:
        ids = list(Category.objects.filter(Q(code=category) | Q(parent__code=category), jurisdiction=jurisdiction)
                   .values_list("pk", flat=True))
        qs = qs.filter(category_id__in=ids)
    if channel:
        qs = qs.filter(channel=channel)
    now = timezone.now()
    # A stage clock's deadline is cleared when the stage ends, so lateness is a plain range on the clock columns.
    if lateness == "overdue":
        qs = qs.filter(deadline_at__lte=now)
    elif lateness == "soon":
        qs = qs.filter(warn_at__lte=now, deadline_at__gt=now)
    if mine and user.role == Role.HANDLER:
        qs = qs.filter(lead_department_id=getattr(getattr(user, "person", None), "department_id", None))
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(description__icontains=q) | Q(address__icontains=q))
    return qs.order_by("deadline_at", "-created_at") if lateness else qs.order_by("-created_at", "-id")


def timeline(*, case: Case) -> list[dict]:
    return [
        {"seq": e.seq, "action": e.action, "label": str(ACTIONS[e.action].label), "from": e.from_state, "to": e.to_state,
         "to_label": str(State(e.to_state).label) if e.to_state else "", "actor": actor_display(e.actor_label), "at": e.at,
         "reason": e.reason, "payload": e.payload, "attachments": [a.pk for a in e.attachments.all()]}
        for e in case.events.prefetch_related("attachments").order_by("seq")
    ]


def categories(*, jurisdiction: Jurisdiction) -> QuerySet[Category]:
    return Category.objects.filter(jurisdiction=jurisdiction, active=True).select_related("parent")


def unread_notifications(*, user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user, read_at__isnull=True).select_related("case")
