"""The case loop as data: states, actions, who may take them, and the pure reducer over events.

立案 → 派遣 → 处置 → 反馈 → 核查 → 结案 → 评价, with the side flows (return, reassign, extension,
shelving, supervision, rework, merge, escalation). `apply` folds one event into a `Snapshot`; the
service uses it to move a case and the replay check uses it to re-derive every case from its events,
so the stored state is by construction the replay of the log.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ACCEPTED = "accepted", _("Accepted")
    DISPATCHED = "dispatched", _("Dispatched")
    HANDLING = "handling", _("Handling")
    HANDLED = "handled", _("Handled")
    VERIFIED = "verified", _("Verified")
    CLOSED = "closed", _("Closed")
    EVALUATED = "evaluated", _("Evaluated")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged")


OPEN_STATES = (State.REPORTED, State.ACCEPTED, State.DISPATCHED, State.HANDLING, State.HANDLED, State.VERIFIED)
FINAL_STATES = (State.CLOSED, State.EVALUATED, State.REJECTED, State.MERGED)

# Who acts: the operations centre, the lead department, an assisting department, the grid worker of the
# case's grid, the reporter, the system (sweeps). Roles are resolved per case by the service.
OPERATOR, LEAD, ASSIST, GRID, REPORTER, SYSTEM, LEADER = "operator", "lead", "assist", "grid", "reporter", "system", "leader"


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str | None  # None: the state does not change (side flow)
    roles: frozenset[str]
    needs_reason: bool = False


def _a(name, label, sources, target, roles, needs_reason=False) -> Action:
    return Action(name, label, tuple(sources), target, frozenset(roles), needs_reason)


S = State
_IN_HANDS = (S.DISPATCHED, S.HANDLING)
ACTIONS: dict[str, Action] = {a.name: a for a in [
    _a("report", _("Report"), (), S.REPORTED, {OPERATOR, GRID, REPORTER, SYSTEM}),
    _a("accept", _("Accept (立案)"), (S.REPORTED,), S.ACCEPTED, {OPERATOR}),
    _a("reject", _("Reject (不予立案)"), (S.REPORTED,), S.REJECTED, {OPERATOR}, needs_reason=True),
    _a("merge", _("Merge into another case (并单)"), (S.REPORTED, S.ACCEPTED), S.MERGED, {OPERATOR, SYSTEM}),
    _a("absorb", _("Absorb a duplicate report"), OPEN_STATES, None, {OPERATOR, SYSTEM}),
    _a("escalate", _("Escalate to joint handling (联动)"), (S.ACCEPTED, S.DISPATCHED, S.HANDLING), None, {OPERATOR, GRID}, needs_reason=True),
    _a("dispatch", _("Dispatch (派遣)"), (S.ACCEPTED,), S.DISPATCHED, {OPERATOR}),
    _a("reassign", _("Reassign (改派)"), _IN_HANDS, S.DISPATCHED, {OPERATOR}, needs_reason=True),
    _a("sign", _("Sign for (签收)"), (S.DISPATCHED,), S.HANDLING, {LEAD}),
    _a("return", _("Return (回退)"), _IN_HANDS, S.ACCEPTED, {LEAD}, needs_reason=True),
    _a("assist_feedback", _("Assisting feedback"), (S.HANDLING,), None, {ASSIST}, needs_reason=True),
    _a("feedback", _("Report back (反馈)"), (S.HANDLING,), S.HANDLED, {LEAD}, needs_reason=True),
    _a("request_extension", _("Request extension (延期)"), _IN_HANDS, None, {LEAD}, needs_reason=True),
    _a("approve_extension", _("Approve extension"), _IN_HANDS, None, {OPERATOR}),
    _a("refuse_extension", _("Refuse extension"), _IN_HANDS, None, {OPERATOR}, needs_reason=True),
    _a("request_shelve", _("Request shelving (挂账)"), _IN_HANDS, None, {LEAD}, needs_reason=True),
    _a("approve_shelve", _("Approve shelving"), _IN_HANDS, None, {OPERATOR}),
    _a("refuse_shelve", _("Refuse shelving"), _IN_HANDS, None, {OPERATOR}, needs_reason=True),
    _a("unshelve", _("Resume from shelving"), _IN_HANDS, None, {OPERATOR, LEAD}),
    _a("supervise", _("Supervise (督办)"), (*_IN_HANDS, S.HANDLED), None, {OPERATOR, LEADER}, needs_reason=True),
    _a("verify_pass", _("Verify: passed (核查通过)"), (S.HANDLED,), S.VERIFIED, {GRID, OPERATOR}),
    _a("verify_fail", _("Verify: failed, rework (返工)"), (S.HANDLED,), S.HANDLING, {GRID, OPERATOR}, needs_reason=True),
    _a("close", _("Close (结案)"), (S.VERIFIED,), S.CLOSED, {OPERATOR}),
    _a("evaluate", _("Rate (评价)"), (S.CLOSED,), S.EVALUATED, {REPORTER, OPERATOR}),
    _a("reopen", _("Reopen after an unsatisfied rating"), (S.EVALUATED,), S.ACCEPTED, {REPORTER, OPERATOR}, needs_reason=True),
    _a("sla_warning", _("Deadline approaching"), (*_IN_HANDS, S.HANDLED), None, {SYSTEM}),
    _a("sla_overdue", _("Overdue"), (*_IN_HANDS, S.HANDLED), None, {SYSTEM}),
]}

RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")


@dataclass(frozen=True)
class Snapshot:
    """Everything about a case that events decide (the rest is intake data)."""

    state: str = ""
    lead_department_id: int | None = None
    assisting_ids: tuple[int, ...] = ()
    assist_done_ids: tuple[int, ...] = ()
    size: str = "committed"
    joint: bool = False
    rework_count: int = 0
    shelved: bool = False
    extension_pending: bool = False
    shelve_pending: bool = False
    extension_hours: float = 0.0
    merged_into_id: int | None = None
    duplicates: int = 0
    supervisions: int = 0
    rating: str = ""
    sla_status: str = "ok"
    verified_once: bool = False


@dataclass
class Check:
    ok: bool
    reason: str = ""
    code: str = "illegal_transition"
    allowed: list[str] = field(default_factory=list)


def precondition(snap: Snapshot, action: Action, payload: dict) -> str:
    """Why an action cannot happen in this snapshot beyond its source states ('' when it can)."""
    name = action.name
    if name == "feedback" and set(snap.assisting_ids) - set(snap.assist_done_ids):
        return gettext("waiting for the assisting departments' feedback")
    if name == "assist_feedback" and payload.get("department_id") in snap.assist_done_ids:
        return gettext("this department has already given its feedback")
    if name in ("request_extension",) and snap.extension_pending:
        return gettext("an extension request is already pending")
    if name in ("approve_extension", "refuse_extension") and not snap.extension_pending:
        return gettext("no extension request is pending")
    if name == "request_shelve" and (snap.shelve_pending or snap.shelved):
        return gettext("the case is already shelved or a shelving request is pending")
    if name in ("approve_shelve", "refuse_shelve") and not snap.shelve_pending:
        return gettext("no shelving request is pending")
    if name == "unshelve" and not snap.shelved:
        return gettext("the case is not shelved")
    if name in ("sign", "feedback", "verify_pass", "verify_fail") and snap.shelved:
        return gettext("the case is shelved; resume it first")
    if name == "reopen" and snap.rating != "unsatisfied":
        return gettext("only an unsatisfied rating can reopen a case")
    if name == "escalate" and snap.joint:
        return gettext("the case is already handled jointly")
    if name == "sla_warning" and snap.sla_status != "ok":
        return gettext("already warned")
    if name == "sla_overdue" and snap.sla_status == "overdue":
        return gettext("already overdue")
    return ""


def apply(snap: Snapshot, action_name: str, payload: dict) -> Snapshot:
    """The state after one event. Pure: the same events always give the same snapshot."""
    action = ACTIONS[action_name]
    new = replace(snap, state=action.target) if action.target else snap
    p = payload
    match action_name:
        case "report":
            new = replace(new, size=p.get("size", snap.size or "committed"))
        case "merge":
            new = replace(new, merged_into_id=p["into_case_id"])
        case "absorb":
            new = replace(new, duplicates=snap.duplicates + 1)
        case "escalate":
            new = replace(new, joint=True, size="coordinated")
        case "dispatch" | "reassign":
            new = replace(new, lead_department_id=p["lead_department_id"], assisting_ids=tuple(p.get("assisting_ids", ())),
                          assist_done_ids=(), extension_pending=False, shelve_pending=False, shelved=False, sla_status="ok")
        case "sign":
            new = replace(new, sla_status="ok")
        case "return":
            new = replace(new, lead_department_id=None, assisting_ids=(), assist_done_ids=(), extension_pending=False,
                          shelve_pending=False, shelved=False, sla_status="ok")
        case "assist_feedback":
            new = replace(new, assist_done_ids=(*snap.assist_done_ids, p["department_id"]))
        case "feedback" | "verify_pass":
            new = replace(new, sla_status="ok", verified_once=snap.verified_once or action_name == "verify_pass")
        case "verify_fail":
            new = replace(new, rework_count=snap.rework_count + 1, sla_status="ok")
        case "request_extension":
            new = replace(new, extension_pending=True)
        case "approve_extension":
            new = replace(new, extension_pending=False, extension_hours=snap.extension_hours + float(p["hours"]),
                          sla_status="ok")
        case "refuse_extension":
            new = replace(new, extension_pending=False)
        case "request_shelve":
            new = replace(new, shelve_pending=True)
        case "approve_shelve":
            new = replace(new, shelve_pending=False, shelved=True)
        case "refuse_shelve":
            new = replace(new, shelve_pending=False)
        case "unshelve":
            new = replace(new, shelved=False)
        case "supervise":
            new = replace(new, supervisions=snap.supervisions + 1)
        case "evaluate":
            new = replace(new, rating=p["rating"])
        case "reopen":
            new = replace(new, lead_department_id=None, assisting_ids=(), assist_done_ids=(), rating="", sla_status="ok")
        case "sla_warning":
            new = replace(new, sla_status="warning")
        case "sla_overdue":
            new = replace(new, sla_status="overdue")
    return new


def replay(events: list[tuple[str, dict]]) -> Snapshot:
    snap = Snapshot()
    for name, payload in events:
        snap = apply(snap, name, payload)
    return snap


def allowed_actions(snap: Snapshot, roles: set[str], context: dict | None = None) -> list[str]:
    """Actions this user may take now (state, role and preconditions all hold). `context` carries what the
    preconditions need to know about the user (their department, for an assisting department's feedback)."""
    return [
        a.name for a in ACTIONS.values()
        if a.name not in ("report", "absorb", "sla_warning", "sla_overdue")
        and snap.state in a.sources and a.roles & roles and not precondition(snap, a, context or {})
    ]
