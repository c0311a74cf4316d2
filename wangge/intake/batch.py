"""Intake in batches, for imports (the 12345 hotline's commit): `report_submit`'s rules for many reports at once.

One report through `report_submit` costs about 27 queries (repeat checks, routing's lookups, the case with its
number, event and notification, the duplicate search). A batch reads everything it needs once — the
idempotency keys and fingerprints of the whole batch, the throttle counts, the categories, the classifier, the
gazetteer and the territory (in memory, points located together), the responsibility rules — and writes once:
the cases through `cases_open_batch` (numbers from one counter update, their first events and notifications),
sure duplicates through `cases_merge_batch`, then every report in one insert. Duplicates are searched in an
in-memory index of the open cases (`dedupe.OpenCaseIndex`, kept by the caller across chunks in `context`),
including the cases opened earlier in the same batch, as one report after another would find them.

What comes out is what `report_submit` would have answered for each item in turn: the report (new, or the one
already received), or the error it would have raised. Not for reports with photos or a case to join (the
interactive channels use `report_submit`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.cases import batch as case_batch
from wangge.cases.models import Case, Category, Channel
from wangge.core.errors import ApplicationError, idempotency_mismatch
from wangge.core.models import Jurisdiction
from wangge.core.rows import insert_rows, instance_builder
from wangge.intake.models import CategorySource, Report, ReportStatus, TriageReason
from wangge.intake.services import (
    PUBLIC_CHANNELS,
    Routed,
    _apply_routing,
    _check_coordinates,
    _fingerprint,
    _in_person_staff,
    _rate,
    _triage_reasons,
    auto_merge_reason,
    check_channel,
    clean_description,
    throttled,
)
from wangge.routing import dedupe, gazetteer, responsibility
from wangge.routing import services as routing


@dataclass
class ReportIn:
    """One report of a batch: what `report_submit` takes (no photos, no case to join)."""

    description: str
    address: str = ""
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    category_code: str | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    idempotency_key: str | None = None
    source_key: str = ""
    external_id: str = ""
    location_source: str = ""


@dataclass
class Received:
    report: Report | None
    created: bool = False
    error: ApplicationError | None = None  # what report_submit would have raised (report: the existing one, if any)


@dataclass
class _Item:
    i: int
    data: ReportIn
    description: str
    lon: float | None
    lat: float | None
    fingerprint: str
    key: str | None
    routed: Routed | None = None
    error: ApplicationError | None = None


def _predict(jurisdiction: Jurisdiction, texts: list[str]) -> list:
    """The classifier's predictions for many texts in one call where routing offers its model, else one by one."""
    from wangge.routing import classify

    if not texts:
        return []
    model_get = getattr(classify, "classifier_get", None)
    if model_get is None:
        return [classify.classify_text(jurisdiction=jurisdiction, text=t) for t in texts]
    model = model_get(jurisdiction=jurisdiction)
    if model is None:
        return [None] * len(texts)
    return model.predict(texts)


def _route(jurisdiction: Jurisdiction, items: list[_Item], context: dict) -> None:
    """`services.route` for many items: pure reads, a few queries whatever their number."""
    minors = {c.code: c for c in Category.objects.filter(jurisdiction=jurisdiction, parent__isnull=False)}
    index = None
    points: dict[str, list[tuple[_Item, float, float, str]]] = {}
    for it in items:
        r = it.routed = Routed()
        d = it.data
        if it.lon is not None:
            points.setdefault(d.crs, []).append((it, it.lon, it.lat, d.location_source or "gps"))
        elif d.address.strip():
            index = index or gazetteer.gazetteer_index_get(jurisdiction=jurisdiction)
            hit = index.geocode(d.address)
            if hit is not None:
                points.setdefault("wgs84", []).append((it, hit.lon, hit.lat, "address"))
        if d.category_code:
            category = minors.get(d.category_code)
            if category is None or not category.active:
                it.error = ApplicationError(_("Unknown category %(code)r: choose a minor class (小类).") % {"code": d.category_code},
                                            code="unknown_category")
            r.category, r.confidence, r.category_source = category, 1.0, CategorySource.REPORTER
    for crs, group in points.items():
        for start in range(0, len(group), routing.MAX_BATCH):
            part = group[start:start + routing.MAX_BATCH]
            try:
                found = routing.locate_points(jurisdiction=jurisdiction, points=[(lon, lat) for _it, lon, lat, _source in part], crs=crs)
            except ApplicationError as exc:
                for it, *_rest in part:
                    it.error = it.error or exc
                continue
            for (it, lon, lat, source), located in zip(part, found, strict=True):
                r = it.routed
                r.located, r.location_source = located, source
                if source == "address":
                    r.lon, r.lat = lon, lat
                else:
                    r.lon, r.lat = located["wgs84"]["lon"], located["wgs84"]["lat"]
    unclassified = [it for it in items if not it.data.category_code and it.error is None]
    for it, prediction in zip(unclassified, _predict(jurisdiction, [it.description for it in unclassified]), strict=True):
        if prediction is not None:
            r = it.routed
            r.category = minors.get(prediction.label)
            r.confidence = round(float(prediction.confidence), 3)
            r.category_source = CategorySource.CLASSIFIER
            r.alternatives = [{"code": code, "confidence": round(float(c), 3)} for code, c in prediction.alternatives]
    settled = [it for it in items if it.error is None and it.routed.category is not None and it.routed.located
               and it.routed.located["inside_jurisdiction"]]
    if settled:
        who = responsibility.Responsibility(jurisdiction, unit_ids=[u["id"] for it in settled for u in it.routed.located["units"]])
        for it in settled:
            it.routed.department_id, it.routed.rule = who.suggest(category=it.routed.category, located=it.routed.located)


def _open_cases(jurisdiction: Jurisdiction, context: dict) -> dedupe.OpenCaseIndex:
    index = context.get("open_cases")
    if index is None or index.jurisdiction_id != jurisdiction.pk:
        index = context["open_cases"] = dedupe.OpenCaseIndex(jurisdiction_id=jurisdiction.pk)
    else:
        index.refresh()
    return index


@transaction.atomic
def reports_submit_batch(*, jurisdiction: Jurisdiction, channel: str, items: list[ReportIn], actor=None,
                         context: dict | None = None, notify_each: bool = True, throttle: bool = True) -> list[Received]:
    """Receive many reports in one transaction, each as `report_submit` would in turn. `context`: a dict the
    caller keeps across batches of one import (the open cases' index lives there). `notify_each` False: the cases
    opened and merged notify nobody one by one (an import tells its operators once, when it is done). `throttle`
    False: no source is counted against the flood limit (a channel whose sources cannot flood, such as the hotline's
    orders, each its own source and already checked by its idempotency key)."""
    context = {} if context is None else context
    check_channel(channel)
    now = timezone.now()
    out: list[Received | None] = [None] * len(items)
    todo: list[_Item] = []
    for i, d in enumerate(items):
        try:
            description = clean_description(d.description)
            lon, lat = _check_coordinates(d.lon, d.lat)
        except ApplicationError as exc:
            out[i] = Received(None, error=exc)
            continue
        todo.append(_Item(i=i, data=d, description=description, lon=lon, lat=lat, key=(d.idempotency_key or "").strip()[:80] or None,
                          fingerprint=_fingerprint(channel=channel, description=description, lon=lon, lat=lat, address=d.address,
                                                   phone=d.reporter_phone, source_key=d.source_key,
                                                   category_code=d.category_code)))
    # Already received: by idempotency key, or the same content within the repeat window (one query each).
    keys = {it.key for it in todo if it.key}
    by_key = {r.idempotency_key: r for r in Report.objects.filter(jurisdiction=jurisdiction, idempotency_key__in=keys)} if keys else {}
    by_print: dict[str, Report] = {}
    if todo:
        for r in Report.objects.filter(jurisdiction=jurisdiction, fingerprint__in={it.fingerprint for it in todo},
                                       created_at__gte=now - timedelta(seconds=settings.WANGGE_INTAKE_REPEAT_SECONDS)
                                       ).order_by("created_at"):
            by_print.setdefault(r.fingerprint, r)

    def seen(it: _Item) -> Received | None:
        if it.key and it.key in by_key:
            existing = by_key[it.key]
            if existing.fingerprint != it.fingerprint:
                return Received(existing, error=idempotency_mismatch())
            return Received(existing)
        if it.fingerprint in by_print:
            return Received(by_print[it.fingerprint])
        return None

    fresh = []
    for it in todo:
        answer = seen(it)
        if answer is not None:
            out[it.i] = answer
        else:
            fresh.append(it)
    _route(jurisdiction, fresh, context)

    # Throttle: how many each source sent in the window (one query), counted on as the batch is received.
    trusted = _in_person_staff(actor, channel)
    limit, seconds = _rate()
    counted = throttle and not trusted
    sources = {it.data.source_key for it in fresh if it.data.source_key} if counted else set()
    sent = dict(Report.objects.filter(jurisdiction=jurisdiction, source_key__in=sources,
                                      created_at__gte=now - timedelta(seconds=seconds))
                .values_list("source_key").annotate(n=Count("id")).values_list("source_key", "n")) if sources else {}

    is_rider = channel == Channel.RIDER
    new_report = instance_builder(Report)
    reports: list[tuple[_Item, Report]] = []
    for it in fresh:
        answer = seen(it)  # the same report earlier in this batch
        if answer is not None:
            out[it.i] = answer
            continue
        if it.error is not None:
            out[it.i] = Received(None, error=it.error)
            continue
        d = it.data
        if d.source_key and counted:
            if sent.get(d.source_key, 0) >= limit:
                out[it.i] = Received(None, error=throttled(limit, seconds))
                continue
            sent[d.source_key] = sent.get(d.source_key, 0) + 1
        report = new_report(
            jurisdiction=jurisdiction, channel=channel, idempotency_key=it.key, fingerprint=it.fingerprint,
            source_key=d.source_key, external_id=d.external_id[:64], description=it.description, address=d.address.strip()[:200],
            reporter_name=d.reporter_name.strip()[:50], reporter_phone=d.reporter_phone.strip()[:32],
            reporter_user=actor if getattr(actor, "pk", None) else None, is_rider=is_rider, status=ReportStatus.TRIAGE,
        )
        _apply_routing(report, it.routed)
        report.triage_reasons = _triage_reasons(it.routed, trusted=trusted)
        if it.key:
            by_key[it.key] = report
        by_print.setdefault(it.fingerprint, report)
        reports.append((it, report))
        out[it.i] = Received(report, created=True)

    _file_batch(jurisdiction, [(it, r) for it, r in reports if not r.triage_reasons], actor=actor, context=context, out=out,
                notify_each=notify_each)
    written = [r for it, r in reports if out[it.i].report is r]
    insert_rows(Report, written)
    return out


def _file_batch(jurisdiction: Jurisdiction, filing: list[tuple[_Item, Report]], *, actor, context: dict,
                out: list[Received | None], notify_each: bool = True) -> None:
    """`services._file` for many reports: open their cases, then join sure duplicates (one report after another,
    each seeing the cases the ones before it opened) and flag likely ones for triage."""
    if not filing:
        return
    drafts = []
    for it, report in filing:
        # Where routing located the very point the case gets (an address's, or GPS in WGS-84), its answer is reused.
        same_point = it.routed.location_source == "address" or it.data.crs == "wgs84"
        case_actor = report.reporter_user or (None if report.channel in PUBLIC_CHANNELS else actor)
        drafts.append(case_batch.CaseDraft(
            channel=report.channel, category_code=report.category.code, description=report.description, lon=report.lon,
            lat=report.lat, address=report.address, reporter_name=report.reporter_name, reporter_phone=report.reporter_phone,
            idempotency_key=f"report:{report.tracking_code}", suggested_department_id=report.suggested_department_id,
            actor=case_actor, located=it.routed.located if same_point else None))
    index = _open_cases(jurisdiction, context)  # before opening: the new cases are added one by one below
    opened = case_batch.cases_open_batch(jurisdiction=jurisdiction, drafts=drafts, notify_each=notify_each)
    filed: list[tuple[Report, Case]] = []
    for (it, report), result in zip(filing, opened, strict=True):
        if result.error is not None:  # report_submit would have raised: nothing of this report is written
            out[it.i] = Received(None, error=result.error)
            continue
        report.case, report.status = result.case, ReportStatus.FILED
        filed.append((report, result.case))
    # The cases that could take a duplicate, as read before this batch: still open? (one query)
    now = timezone.now()
    ask, auto = settings.WANGGE_DEDUPE_ASK, settings.WANGGE_DEDUPE_AUTO
    maybe = {c[0] for report, _case in filed
             for c in index.candidates(lon=report.lon, lat=report.lat, category_id=report.category_id,
                                       text=report.description, now=now) if c[3] >= ask}
    if maybe:
        index.forget(maybe - dedupe.cases_still_open(case_ids=maybe))
    merges: list[tuple[Case, int, str]] = []
    joining: list[Report] = []
    for report, case in filed:
        found = index.candidates(lon=report.lon, lat=report.lat, category_id=report.category_id, text=report.description,
                                 now=now, limit=1)
        if found and found[0][3] >= ask:
            report.duplicate_of_id, report.duplicate_score = found[0][0], found[0][3]
            if found[0][3] >= auto:
                merges.append((case, found[0][0], auto_merge_reason(found[0][3])))
                joining.append(report)
                continue  # merged: not open for the reports after it
            report.triage_reasons, report.status = [TriageReason.DUPLICATE], ReportStatus.TRIAGE
        index.add(pk=case.pk, category_id=case.category_id, lon=case.lon, lat=case.lat, created_at=case.created_at,
                  description=case.description)
    targets = case_batch.cases_merge_batch(merges=merges, known=[case for _report, case in filed], notify_each=notify_each)
    for report, (case, _into, _why), target in zip(joining, merges, targets, strict=True):
        if target is None:  # the target stopped taking duplicates meanwhile: the report keeps its own case
            report.duplicate_of_id = report.duplicate_score = None
            index.add(pk=case.pk, category_id=case.category_id, lon=case.lon, lat=case.lat, created_at=case.created_at,
                      description=case.description)
            continue
        report.case, report.status, report.duplicate_of = target, ReportStatus.JOINED, target
