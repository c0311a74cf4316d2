"""The only writers of cases: report a case, act on it. Every change appends an event in the same
transaction, under a row lock, after checking state, role, scope and preconditions."""

from __future__ import annotations

import uuid
from dataclasses import fields, replace
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import Role
from wangge.cases import notify, sla
from wangge.cases.models import (
    Case,
    CaseCounter,
    CaseDepartment,
    CaseEvent,
    Category,
    Channel,
    Size,
    actor_display,
)
from wangge.cases.workflow import (
    ACTIONS,
    ASSIST,
    GRID,
    LEAD,
    LEADER,
    OPEN_STATES,
    OPERATOR,
    RATINGS,
    REPORTER,
    SYSTEM,
    Snapshot,
    State,
    allowed_actions,
    apply,
    precondition,
)
from wangge.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, idempotency_mismatch
from wangge.core.models import Jurisdiction
from wangge.grids.models import Department, GridAssignment
from wangge.routing import services as routing

SNAPSHOT_FIELDS = [f.name for f in fields(Snapshot)]
# Snapshot field → Case column, where they differ.
COLUMN = {"lead_department_id": "lead_department_id", "merged_into_id": "merged_into_id"}


class IllegalTransition(Conflict):
    code = "illegal_transition"


def snapshot_of(case: Case) -> Snapshot:
    values = {name: getattr(case, COLUMN.get(name, name)) for name in SNAPSHOT_FIELDS}
    values["assisting_ids"] = tuple(values["assisting_ids"])
    values["assist_done_ids"] = tuple(values["assist_done_ids"])
    return Snapshot(**values)


def _write_snapshot(case: Case, snap: Snapshot) -> None:
    for name in SNAPSHOT_FIELDS:  # flat fields (tuples of ids at most): no `asdict`, which deep-copies each one
        value = getattr(snap, name)
        setattr(case, COLUMN.get(name, name), list(value) if isinstance(value, tuple) else value)
    case.is_open = snap.state in OPEN_STATES


def actor_label(user) -> str:
    if user is None:
        return "system"
    return f"{user.get_full_name() or user.username} ({user.role})"  # the role by code: models.actor_display names it


def roles_for(user, case: Case) -> set[str]:
    """The workflow roles this user holds on this case."""
    if user is None:
        return {SYSTEM}
    if user.jurisdiction_id not in (None, case.jurisdiction_id) and not user.is_superuser:
        return set()
    roles: set[str] = set()
    if user.is_superuser or user.role in (Role.OPERATOR, Role.ADMIN):
        roles.add(OPERATOR)
    if user.role == Role.LEADER:
        roles.add(LEADER)
    # Only a handler's person row matters (a query the first time it is read): nobody else's is looked up.
    department_id = getattr(getattr(user, "person", None), "department_id", None) if user.role == Role.HANDLER else None
    if department_id:
        if department_id == case.lead_department_id:
            roles.add(LEAD)
        if department_id in (case.assisting_ids or []):
            roles.add(ASSIST)
    if user.role == Role.GRID_WORKER and case.grid_id and GridAssignment.objects.filter(
        grid_id=case.grid_id, person__user=user
    ).exists():
        roles.add(GRID)
    if case.reporter_user_id and case.reporter_user_id == user.pk:
        roles.add(REPORTER)
    return roles


def user_context(user) -> dict:
    return {"department_id": getattr(getattr(user, "person", None), "department_id", None)}


def case_allowed_actions(*, case: Case, user) -> list[str]:
    return allowed_actions(snapshot_of(case), roles_for(user, case), user_context(user))


def _next_code(jurisdiction: Jurisdiction, now: datetime) -> str:
    day = timezone.localdate(now)
    counter, _created = CaseCounter.objects.select_for_update().get_or_create(jurisdiction=jurisdiction, day=day)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{day:%Y%m%d}-{counter.last:04d}"


# The columns an action can change: the snapshot, is_open, the SLA clock, closed_at and the version.
DERIVED_COLUMNS = [*dict.fromkeys(COLUMN.get(name, name) for name in SNAPSHOT_FIELDS), "is_open", "sla_stage",
                   "sla_started_at", "sla_limit_seconds", "sla_paused_seconds", "sla_paused_since", "warn_at",
                   "deadline_at", "closed_at", "version"]


def _advance(case: Case, *, action: str, payload: dict, now: datetime) -> tuple[Snapshot, Snapshot]:
    """Fold one action into a case in memory (snapshot, SLA clock, closed_at, version): (before, after)."""
    before = snapshot_of(case)
    after = apply(before, action, payload)
    _write_snapshot(case, after)
    sla.update_clock(case, before=before, after=after, action=action, now=now)
    if after.state == State.CLOSED and before.state != State.CLOSED:
        case.closed_at = now
    case.version += 1
    return before, after


def _append(case: Case, *, action: str, actor, reason: str, payload: dict, now: datetime, correlation_id) -> CaseEvent:
    """Apply one action to a locked case and write the case and its event together. Only the columns the action
    changed are written (and updated_at)."""
    old = [getattr(case, column) for column in DERIVED_COLUMNS]
    before, after = _advance(case, action=action, payload=payload, now=now)
    changed = [column for column, value in zip(DERIVED_COLUMNS, old, strict=True) if getattr(case, column) != value]
    case.save(update_fields=[*changed, "updated_at"])
    if (before.lead_department_id, before.assisting_ids) != (after.lead_department_id, after.assisting_ids):
        _sync_parties(case, before, after)
    return CaseEvent.objects.create(
        case=case, seq=case.version, action=action, from_state=before.state, to_state=after.state, actor=actor,
        actor_label=actor_label(actor), at=now, reason=reason, payload=payload, correlation_id=correlation_id,
    )


def _sync_parties(case: Case, before: Snapshot, after: Snapshot) -> None:
    """Every department ever dispatched keeps its row; the active rows are the snapshot's lead and assisting ones
    (so before the action they were `before`'s: only those that leave are deactivated)."""
    wanted = {after.lead_department_id: "lead"} if after.lead_department_id else {}
    wanted.update({d: "assisting" for d in after.assisting_ids})
    leaving = {before.lead_department_id, *before.assisting_ids} - {None, *wanted}
    if leaving:
        CaseDepartment.objects.filter(case=case, department_id__in=leaving).update(active=False)
    if wanted:
        CaseDepartment.objects.bulk_create(
            [CaseDepartment(case=case, department_id=d, role=role, active=True) for d, role in wanted.items()],
            update_conflicts=True, unique_fields=["case", "department"], update_fields=["role", "active"],
        )


def _check_payload(case: Case, action: str, payload: dict, actor) -> dict:
    """Validate and normalise an action's payload (422 on anything wrong)."""
    p = dict(payload or {})
    if action in ("dispatch", "reassign"):
        try:
            lead_id = int(p.get("lead_department_id"))
            assisting = [int(i) for i in p.get("assisting_ids") or []]
        except (TypeError, ValueError) as exc:
            raise ApplicationError(_("lead_department_id and assisting_ids must be department ids."), code="invalid_payload") from exc
        found = set(Department.objects.filter(jurisdiction_id=case.jurisdiction_id, pk__in={lead_id, *assisting})
                    .values_list("pk", flat=True))  # one query for the lead and the assisting departments
        if lead_id not in found:
            raise ApplicationError(_("Choose the lead department (lead_department_id) of this jurisdiction."), code="invalid_payload")
        if lead_id in assisting:
            raise ApplicationError(_("The lead department cannot also assist."), code="invalid_payload")
        if not found.issuperset(assisting):
            raise ApplicationError(_("Unknown assisting department."), code="invalid_payload")
        if assisting and not case.joint and action == "dispatch" and case.size != Size.COORDINATED:
            raise ApplicationError(_("Escalate the case to joint handling (联动) before adding assisting departments."),
                                   code="not_joint")
        return {"lead_department_id": lead_id, "assisting_ids": sorted(set(assisting))}
    if action == "assist_feedback":
        department_id = getattr(getattr(actor, "person", None), "department_id", None)
        return {"department_id": department_id}
    if action in ("request_extension", "approve_extension"):
        try:
            hours = float(p.get("hours") if action == "request_extension" else p.get("hours", _pending_extension_hours(case)))
        except (TypeError, ValueError):
            hours = 0
        if not 0 < hours <= 24 * 30:
            raise ApplicationError(_("Extension hours must be between 0 and 720 working hours."), code="invalid_payload")
        return {"hours": hours}
    if action == "evaluate":
        if p.get("rating") not in RATINGS:
            raise ApplicationError(_("rating must be one of %(ratings)s.") % {"ratings": ", ".join(RATINGS)}, code="invalid_payload")
        return {"rating": p["rating"], "comment": str(p.get("comment", ""))[:500]}
    if action == "reopen":
        window = settings.WANGGE_REOPEN_DAYS
        evaluated = case.events.filter(action="evaluate").order_by("-seq").first()
        if evaluated and (timezone.now() - evaluated.at).days >= window:
            raise ApplicationError(_("A case can be reopened within %(days)s days of its rating.") % {"days": window}, code="reopen_window_passed")
        return {}
    return {k: v for k, v in p.items() if isinstance(v, (str, int, float, bool))}


def _pending_extension_hours(case: Case) -> float:
    request = case.events.filter(action="request_extension").order_by("-seq").first()
    return float(request.payload.get("hours", 0)) if request else 0.0


@transaction.atomic
def case_act(
    *, case_id: int, actor, action: str, reason: str = "", payload: dict | None = None,
    expected_version: int | None = None, attachments: list | None = None, as_reporter: bool = False,
) -> Case:
    """Take one action on a case: the only way a case changes after it is reported.

    `as_reporter`: the caller has proven that the (possibly anonymous) actor reported this case — intake's
    public follow page checks the reporter's tracking code — so the actor holds the reporter role."""
    if action not in ACTIONS or action in ("report", "absorb", "merge"):
        raise ApplicationError(_("Unknown action %(action)r.") % {"action": action}, code="unknown_action")
    # Lock the case row only (of self): joined rows such as the jurisdiction must stay free for other cases.
    try:
        case = Case.objects.select_for_update(of=("self",)).select_related("category").get(pk=case_id)
    except Case.DoesNotExist:
        raise NotFound(_("Case %(code)s not found.") % {"code": case_id}) from None
    roles = roles_for(actor, case) | ({REPORTER} if as_reporter else set())
    if not roles and not can_view(actor, case):
        raise NotFound(_("Case %(code)s not found.") % {"code": case_id})
    spec = ACTIONS[action]
    snap = snapshot_of(case)

    def allowed() -> list[str]:  # for the error details only
        return allowed_actions(snap, roles, user_context(actor))

    if expected_version is not None and expected_version != case.version:
        last = case.events.order_by("-seq").first()
        raise Conflict(
            _("The case changed while you were looking at it: %(actor)s did “%(action)s” at %(time)s. Reload and try again.")
            % {"actor": actor_display(last.actor_label), "action": ACTIONS[last.action].label,
               "time": f"{timezone.localtime(last.at):%H:%M:%S}"},
            code="stale_version", details={"version": case.version, "allowed": allowed()},
        )
    if snap.state not in spec.sources:
        last = case.events.order_by("-seq").first()
        raise IllegalTransition(
            _("“%(action)s” is not possible: the case is %(state)s (last: %(last)s by %(actor)s).")
            % {"action": spec.label, "state": State(snap.state).label, "last": ACTIONS[last.action].label,
               "actor": actor_display(last.actor_label)},
            details={"allowed": allowed()},
        )
    if not spec.roles & roles:
        raise PermissionDenied(_("You may not “%(action)s” on this case.") % {"action": spec.label}, details={"allowed": allowed()})
    clean = _check_payload(case, action, payload or {}, actor)
    why = precondition(snap, spec, clean)
    if why:
        raise IllegalTransition(_("“%(action)s” is not possible now: %(why)s.") % {"action": spec.label, "why": why}, details={"allowed": allowed()})
    reason = (reason or "").strip()
    if spec.needs_reason and not reason:
        raise ApplicationError(_("“%(action)s” needs a reason.") % {"action": spec.label}, code="reason_required")
    now = timezone.now()
    event = _append(case, action=action, actor=actor, reason=reason, payload=clean, now=now, correlation_id=uuid.uuid4())
    for attachment in attachments or []:
        attachment.save_for(case=case, event=event, user=actor)
    notify.after_events([(case, event)])
    return case


# What the batch reads of each case: the snapshot, the version, and what notify needs (code, audience columns).
SWEEP_COLUMNS = [*DERIVED_COLUMNS, "code", "jurisdiction_id", "grid_id", "reporter_user_id"]


@transaction.atomic
def cases_sla_mark(*, case_ids: list[int], action: str, now=None) -> int:
    """The sweep's batch path: mark many cases warned or overdue in one transaction — the same reducer and
    one event per case as `case_act`, without a round trip per case. Cases that moved on are skipped."""
    if action not in ("sla_warning", "sla_overdue"):
        raise ApplicationError(_("%(action)s is not an SLA mark.") % {"action": action}, code="unknown_action")
    spec, at, correlation = ACTIONS[action], timezone.now(), uuid.uuid4()
    due_at = now or at
    # Still due once locked: an extension or a feedback may have landed since the sweep read the ids.
    due = Q(deadline_at__lte=due_at) if action == "sla_overdue" else Q(warn_at__lte=due_at, deadline_at__gt=due_at)
    changed, events = [], []
    locked = Case.objects.select_for_update(of=("self",)).filter(due, pk__in=case_ids).only(*SWEEP_COLUMNS).order_by("pk")
    for case in locked:
        snap = snapshot_of(case)
        if snap.state not in spec.sources or precondition(snap, spec, {}):
            continue
        after = apply(snap, action, {})
        if after != replace(snap, sla_status=after.sla_status):  # what the one UPDATE below writes
            raise RuntimeError(f"{action} changed more than sla_status; cases_sla_mark must write it.")
        _write_snapshot(case, after)
        case.version += 1
        case.updated_at = at
        changed.append(case)
        events.append(CaseEvent(case=case, seq=case.version, action=action, from_state=snap.state, to_state=after.state,
                                actor=None, actor_label=actor_label(None), at=at, payload={}, correlation_id=correlation))
    by_status: dict[str, list[int]] = {}
    for case in changed:
        by_status.setdefault(case.sla_status, []).append(case.pk)
    for status, pks in by_status.items():  # the rows are locked: version + 1 is each case's new version
        Case.objects.filter(pk__in=pks).update(sla_status=status, version=F("version") + 1, updated_at=at)
    CaseEvent.objects.bulk_create(events)
    notify.after_events(zip(changed, events, strict=True))  # recipients once per audience, one task per batch
    return len(changed)


def category_for(jurisdiction: Jurisdiction, code: str) -> Category:
    category = Category.objects.filter(jurisdiction=jurisdiction, code=code, parent__isnull=False, active=True).first()
    if category is None:
        raise ApplicationError(_("Unknown category %(code)r: choose a minor class (小类).") % {"code": code}, code="unknown_category")
    return category


@transaction.atomic
def case_report(
    *, jurisdiction: Jurisdiction, actor, channel: str, category_code: str, description: str, lon: float, lat: float,
    crs: str = "wgs84", address: str = "", reporter_name: str = "", reporter_phone: str = "", priority: int = 2,
    idempotency_key: str | None = None, attachments: list | None = None, suggested_department_id: int | None = None,
    category: Category | None = None,
) -> tuple[Case, bool]:
    """Create a case (state reported). Idempotent: the same key returns the first case, never a second.
    `category`: the caller's already-read Category of `category_code` (intake routed it), saving the lookup."""
    if idempotency_key:
        existing = Case.objects.filter(jurisdiction=jurisdiction, idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.description != description.strip() or existing.category.code != category_code:
                raise idempotency_mismatch()
            return existing, False
    if channel not in Channel.values:
        raise ApplicationError(_("Unknown channel %(channel)r.") % {"channel": channel}, code="invalid_channel")
    description = (description or "").strip()
    if len(description) < 4:
        raise ApplicationError(_("Describe the problem (at least 4 characters)."), code="description_required")
    if priority not in (1, 2, 3):
        raise ApplicationError(_("priority must be 1 (urgent), 2 or 3."), code="invalid_priority")
    if not (category is not None and category.code == category_code and category.jurisdiction_id == jurisdiction.pk
            and category.parent_id is not None and category.active):
        category = category_for(jurisdiction, category_code)
    located = routing.locate_point(jurisdiction=jurisdiction, lon=lon, lat=lat, crs=crs)
    if not located["inside_jurisdiction"]:
        raise ApplicationError(_("The location is outside this jurisdiction."), code="outside_jurisdiction")
    now = timezone.now()
    case = Case(
        jurisdiction=jurisdiction, code=_next_code(jurisdiction, now), channel=channel, category=category,
        description=description, address=address.strip()[:200], lon=located["wgs84"]["lon"], lat=located["wgs84"]["lat"],
        grid_id=located["grid"]["id"] if located["grid"] else None,
        units={u["layer"]: u["code"] for u in located["units"]}, priority=priority,
        reporter_name=reporter_name.strip()[:50], reporter_phone=reporter_phone.strip()[:32],
        reporter_user=actor if channel in (Channel.RESIDENT, Channel.RIDER) and getattr(actor, "pk", None) else None,
        idempotency_key=idempotency_key or None, state="", size=category.size,
        suggested_department_id=suggested_department_id,
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError as exc:
        # The same submission, a moment earlier, on another connection: answer with that case.
        existing = Case.objects.filter(jurisdiction=jurisdiction, idempotency_key=idempotency_key).first()
        if idempotency_key and existing is not None:
            return existing, False
        raise Conflict(_("A case with this idempotency key is being created right now; retry."), code="idempotency_race") from exc
    event = _append(case, action="report", actor=actor, reason="", payload={"channel": channel, "size": category.size},
                    now=now, correlation_id=uuid.uuid4())
    for attachment in attachments or []:
        attachment.save_for(case=case, event=event, user=actor)
    notify.after_events([(case, event)])
    return case, True


@transaction.atomic
def case_merge(*, case_id: int, into_case_id: int, actor, reason: str = "") -> Case:
    """并单: the duplicate becomes merged into the target; the target counts it; its reporters follow the target."""
    if case_id == into_case_id:
        raise ApplicationError(_("A case cannot be merged into itself."), code="invalid_payload")
    first, second = sorted([case_id, into_case_id])  # lock in a fixed order: no deadlock between two merges
    locked = {c.pk: c for c in Case.objects.select_for_update().filter(pk__in=[first, second])}
    case, target = locked.get(case_id), locked.get(into_case_id)
    if case is None or target is None or case.jurisdiction_id != target.jurisdiction_id:
        raise NotFound(_("Case not found."))
    if not {OPERATOR, SYSTEM} & roles_for(actor, case):  # the system: intake's automatic 并单 of a sure duplicate
        raise PermissionDenied(_("Only the operations centre merges cases."))
    if case.state not in ACTIONS["merge"].sources:
        raise IllegalTransition(_("Case %(code)s is %(state)s; only new or accepted cases merge.") % {"code": case.code, "state": State(case.state).label},
                                details={"allowed": case_allowed_actions(case=case, user=actor)})
    if target.state not in ACTIONS["absorb"].sources or target.merged_into_id:
        raise IllegalTransition(_("Case %(code)s is %(state)s and cannot take duplicates.") % {"code": target.code, "state": State(target.state).label})
    now, correlation = timezone.now(), uuid.uuid4()
    _append(case, action="merge", actor=actor, reason=reason, payload={"into_case_id": target.pk, "into": target.code},
            now=now, correlation_id=correlation)
    event = _append(target, action="absorb", actor=actor, reason=reason, payload={"case_id": case.pk, "case": case.code},
                    now=now, correlation_id=correlation)
    notify.after_events([(target, event)])
    return target


@transaction.atomic
def case_quick_handle(
    *, jurisdiction: Jurisdiction, actor, category_code: str, description: str, lon: float, lat: float,
    crs: str = "wgs84", address: str = "", result: str, idempotency_key: str | None = None,
    before: list | None = None, after: list | None = None,
) -> Case:
    """即办件: a grid worker reports and settles a small matter on the spot, in one step, fully logged."""
    if actor is None or actor.role != Role.GRID_WORKER:
        raise PermissionDenied(_("Only grid workers handle matters on the spot."))
    if not (result or "").strip():
        raise ApplicationError(_("Say what was done."), code="reason_required")
    case, created = case_report(
        jurisdiction=jurisdiction, actor=actor, channel=Channel.PATROL, category_code=category_code, description=description,
        lon=lon, lat=lat, crs=crs, address=address, idempotency_key=idempotency_key, attachments=before,
    )
    if not created:
        return case
    if GRID not in roles_for(actor, case):
        raise PermissionDenied(_("The place is outside your grids; report it instead."))
    # No second read: the case was created by this transaction, so nobody else can see it, let alone change it.
    now, correlation = timezone.now(), uuid.uuid4()
    lead = getattr(getattr(actor, "person", None), "department_id", None)
    steps = [
        ("accept", "", {"immediate": True}),
        ("dispatch", "", {"lead_department_id": lead, "assisting_ids": [], "immediate": True}),
        ("sign", "", {"immediate": True}),
        ("feedback", result.strip(), {"immediate": True}),
        ("verify_pass", "", {"immediate": True}),
        ("close", "", {"immediate": True}),
    ]
    event = None
    for action, reason, payload in steps:
        event = _append(case, action=action, actor=actor, reason=reason, payload=payload, now=now, correlation_id=correlation)
    for attachment in after or []:
        attachment.save_for(case=case, event=event, user=actor)
    return case


def can_view(user, case: Case) -> bool:
    from wangge.cases.selectors import cases_visible_to

    return user is not None and cases_visible_to(user=user, jurisdiction=case.jurisdiction_id).filter(pk=case.pk).exists()


def category_seed(*, jurisdiction: Jurisdiction) -> int:
    """Load the default two-level classification (idempotent; edited categories are left alone)."""
    from wangge.cases.category_data import CATEGORIES

    created = 0
    for major in CATEGORIES:
        parent, new = Category.objects.get_or_create(
            jurisdiction=jurisdiction, code=major["code"], defaults={"name": major["name"], "kind": major["kind"]}
        )
        created += new
        for minor in major["children"]:
            limits = minor["limits"]
            _minor, new = Category.objects.get_or_create(
                jurisdiction=jurisdiction, code=minor["code"],
                defaults={"parent": parent, "name": minor["name"], "kind": major["kind"],
                          "department_kind": minor["department_kind"], "size": minor["size"],
                          "sign_hours": limits["sign_hours"], "handle_hours": limits["handle_hours"],
                          "verify_hours": limits["verify_hours"], "keywords": minor["keywords"]},
            )
            created += new
    return created

