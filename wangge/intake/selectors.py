"""Reads for intake: the triage queue, nearby open cases for "is it one of these?", the public follow page."""

from __future__ import annotations

import re

from django.db import NotSupportedError
from django.db.models import F, Lookup, QuerySet
from django.utils.translation import gettext as _

from wangge.cases.models import RATING_LABELS, Case, CaseEvent, Channel
from wangge.core.errors import NotFound
from wangge.core.models import Jurisdiction
from wangge.grids.models import Department
from wangge.intake.models import Report, ReportStatus
from wangge.routing import dedupe

_LONG_DIGITS = re.compile(r"\d{7,}")


def public_jurisdiction(*, code: str | None = None) -> Jurisdiction:
    """The street a public page speaks for: the one named, else the instance's first (one street, one instance)."""
    qs = Jurisdiction.objects.all()
    jurisdiction = qs.filter(code=code).first() if code else qs.order_by("id").first()
    if jurisdiction is None:
        raise NotFound(_("No such street.") if code else _("No street has been set up yet."))
    return jurisdiction


def triage_queue(*, jurisdiction: Jurisdiction, reason: str | None = None) -> QuerySet[Report]:
    qs = (Report.objects.filter(jurisdiction=jurisdiction, status=ReportStatus.TRIAGE)
          .select_related("category__parent", "duplicate_of", "case", "suggested_department")
          .prefetch_related("photos").order_by("created_at", "id"))
    if reason:
        qs = qs.filter(JSONArrayHas(F("triage_reasons"), reason))
    return qs


class JSONArrayHas(Lookup):
    """True where a JSON array column holds the given string as one of its elements, on SQLite and PostgreSQL.

    Django's JSONField `__contains` is not supported on SQLite (a filter on it would have to be skipped), so the
    array is searched with each database's own JSON functions: `json_each` on SQLite, `@>` on PostgreSQL (an
    array contains a one-element array of the value; the GIN-indexable form)."""

    lookup_name = "array_has"
    prepare_rhs = False

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        # lhs is the compiled column; the value travels as a parameter.
        sql = f"EXISTS (SELECT 1 FROM json_each({lhs}) AS je WHERE je.type = 'text' AND je.value = %s)"  # noqa: S608
        return sql, (*lhs_params, str(self.rhs))

    def as_postgresql(self, compiler, connection):
        import json

        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} @> %s::jsonb", (*lhs_params, json.dumps([str(self.rhs)]))

    def as_sql(self, compiler, connection):
        raise NotSupportedError(f"JSONArrayHas is written for SQLite and PostgreSQL, not {connection.vendor}.")


def public_text(text: str, limit: int = 80) -> str:
    """A description as the public may read it: long digit runs (phones, IDs) masked, shortened."""
    text = _LONG_DIGITS.sub("****", text or "")
    return text if len(text) <= limit else text[:limit] + "…"


def nearby_public(*, jurisdiction: Jurisdiction, lon: float, lat: float, category_id: int | None = None) -> list[dict]:
    """Open cases near a place, for the reporter to join instead of filing again. No personal data."""
    rows = dedupe.nearby_open_cases(jurisdiction_id=jurisdiction.pk, lon=lon, lat=lat, category_id=category_id, limit=5)
    return [{"code": case.code, "category": case.category.name, "description": public_text(case.description),
             "distance_m": round(d), "created_at": case.created_at, "duplicates": case.duplicates} for case, d in rows]


def _step(event: CaseEvent, departments: dict[int, str]) -> str | None:
    p = event.payload or {}
    match event.action:
        case "report":
            return _("Filed as case %(code)s") % {"code": event.case.code}
        case "accept":
            return _("Accepted (立案)")
        case "reject":
            return _("Not accepted: %(reason)s") % {"reason": event.reason}
        case "merge":
            return _("Merged with case %(code)s about the same problem (并单)") % {"code": p.get("into", "")}
        case "absorb":
            return _("Another report of the same problem joined")
        case "dispatch" | "reassign":
            return _("Sent to %(department)s") % {"department": departments.get(p.get("lead_department_id"), "—")}
        case "sign":
            return _("Being handled")
        case "return":
            return _("Being passed to the right department")
        case "escalate":
            return _("Handled jointly by several departments (联动)")
        case "feedback":
            return _("Handled; awaiting an on-site check")
        case "verify_pass":
            return _("Checked on site (核查通过)")
        case "verify_fail":
            return _("Not yet fixed: sent back for rework")
        case "approve_extension":
            return _("Handling time extended")
        case "approve_shelve":
            return _("On hold (挂账)")
        case "unshelve":
            return _("Handling resumed")
        case "close":
            return _("Closed (办结)")
        case "evaluate":
            return _("Rated: %(rating)s") % {"rating": RATING_LABELS.get(p.get("rating"), p.get("rating", ""))}
        case "reopen":
            return _("Reopened after the rating")
    return None  # internal steps (supervision, SLA marks, requests) are not public


def public_timeline(*, report: Report) -> list[dict]:
    """The reporter's view: when and what, never who or internal notes, never anyone's personal data."""
    steps = [{"at": report.created_at, "text": _("Report received")}]
    if report.status == ReportStatus.TRIAGE and report.case_id is None:
        steps.append({"at": report.created_at, "text": _("Being reviewed by the operations centre")})
    if report.status == ReportStatus.REJECTED:
        steps.append({"at": report.resolved_at, "text": _("Not accepted: %(reason)s") % {"reason": report.resolution_note}})
    if report.case_id is None:
        return steps
    own = Case.objects.filter(jurisdiction_id=report.jurisdiction_id,
                              idempotency_key=f"report:{report.tracking_code}").values_list("pk", flat=True).first()
    events = list(CaseEvent.objects.filter(case_id__in={report.case_id, own} - {None})
                  .select_related("case").order_by("at", "case_id", "seq"))
    department_ids = {e.payload.get("lead_department_id") for e in events if e.action in ("dispatch", "reassign")}
    departments = dict(Department.objects.filter(pk__in=department_ids).values_list("pk", "name"))
    for event in events:
        joined_target = own is not None and event.case_id != own
        if joined_target and event.action in ("report", "absorb"):
            continue  # a joined report: its own receipt and merge are shown, then the shared case's progress
        text = _step(event, departments)
        if text:
            steps.append({"at": event.at, "text": text})
    return steps


def intake_summary(*, jurisdiction: Jurisdiction, days: int = 30) -> dict:
    """Reports per channel and riders' reports per platform and station over the last `days` days: the street
    counts the riders' contribution (流动网格员)."""
    from datetime import timedelta

    from django.db.models import Count, Q
    from django.utils import timezone

    recent = Report.objects.filter(jurisdiction=jurisdiction, created_at__gte=timezone.now() - timedelta(days=days))
    channels = [{**c, "label": Channel(c["channel"]).label if c["channel"] in Channel.values else c["channel"]}
                for c in recent.values("channel").annotate(n=Count("id")).order_by("-n")]
    riders = list(recent.filter(is_rider=True).values("rider_platform", "rider_station")
                  .annotate(n=Count("id"), filed=Count("id", filter=~Q(status=ReportStatus.REJECTED)))
                  .order_by("-n", "rider_platform")[:50])
    return {"days": days, "channels": channels, "riders": riders}
