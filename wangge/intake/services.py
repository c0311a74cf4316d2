"""Intake: take a report from any channel, route it (locate → classify → responsibility → duplicates), and
either file it as a case, join it to an open case (并单), or hold it for triage. Nothing is dropped."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import Role
from wangge.cases import services as cases
from wangge.cases.models import Case, Category, Channel
from wangge.cases.uploads import MAX_PHOTOS, PhotoUpload
from wangge.cases.workflow import RATINGS
from wangge.core.errors import (
    ApplicationError,
    Conflict,
    NotFound,
    PermissionDenied,
    Throttled,
    idempotency_mismatch,
)
from wangge.core.images import CleanImage
from wangge.core.models import Jurisdiction
from wangge.core.throttle import rate_setting, source_key_hash
from wangge.intake.models import CategorySource, Report, ReportPhoto, ReportStatus, TriageReason
from wangge.routing import dedupe, gazetteer, responsibility
from wangge.routing import services as routing
from wangge.routing.links import parse_location_link

PUBLIC_CHANNELS = (Channel.RESIDENT, Channel.RIDER)
STAFF_ROLES = (Role.ADMIN, Role.OPERATOR, Role.LEADER, Role.GRID_WORKER, Role.HANDLER)
# Staff reporting in person: a grid worker's patrol, an operator's own entry. Machine clients (Open311 apps
# on an API token) are not "in person" whatever their token's role: they are throttled and triaged.
IN_PERSON_CHANNELS = (Channel.PATROL, Channel.OPERATOR)
INTAKE_RATE_DEFAULT = "20/600"  # reports per source and window, unless WANGGE_INTAKE_RATE says otherwise


def _in_person_staff(actor, channel: str) -> bool:
    return channel in IN_PERSON_CHANNELS and getattr(actor, "role", None) in STAFF_ROLES


@dataclass
class Routed:
    """What routing made of a report's content, before anything is written."""

    lon: float | None = None
    lat: float | None = None
    location_source: str = ""
    located: dict | None = None
    category: Category | None = None
    confidence: float | None = None
    category_source: str = ""
    alternatives: list | None = None
    department_id: int | None = None
    rule: str = ""


def source_key_for(*, ip: str = "", token_id: int | None = None, user=None) -> str:
    """A hashed label for where a report came from (the IP itself is not stored)."""
    return source_key_hash(ip=ip, token_id=token_id, user=user)


def _rate() -> tuple[int, int]:
    return rate_setting("WANGGE_INTAKE_RATE", INTAKE_RATE_DEFAULT)


def _throttle(jurisdiction: Jurisdiction, source_key: str, actor, channel: str) -> None:
    if not source_key or _in_person_staff(actor, channel):
        return  # staff on patrol report as much as they find; floods come from anonymous sources and tokens
    limit, seconds = _rate()
    recent = Report.objects.filter(jurisdiction=jurisdiction, source_key=source_key,
                                   created_at__gte=timezone.now() - timedelta(seconds=seconds)).count()
    if recent >= limit:
        raise throttled(limit, seconds)


def throttled(limit: int, seconds: int) -> Throttled:
    return Throttled(_("Too many reports from one source: at most %(limit)s in %(minutes)s minutes. Try again later.")
                     % {"limit": limit, "minutes": seconds // 60}, details={"limit": limit, "window_seconds": seconds})


def clean_description(description: str | None) -> str:
    """The report's text, stripped, or the reason it cannot be taken."""
    description = (description or "").strip()
    if len(description) < 4:
        raise ApplicationError(_("Describe the problem (at least 4 characters)."), code="description_required")
    if len(description) > 2000:
        raise ApplicationError(_("The description is longer than 2,000 characters."), code="description_too_long")
    return description


def check_channel(channel: str) -> None:
    if channel not in Channel.values:
        raise ApplicationError(_("Unknown channel %(channel)r.") % {"channel": channel}, code="invalid_channel")


def auto_merge_reason(score: float) -> str:
    """What the timeline says of a report merged on its own (stored in the street's language)."""
    return f"自动并单（相似度 {score:.2f}）"


def _fingerprint(*, channel: str, description: str, lon, lat, address: str, phone: str, source_key: str,
                 category_code: str | None) -> str:
    where = f"{round(lon, 4)},{round(lat, 4)}" if lon is not None and lat is not None else address.strip()
    text = "".join(description.split())
    return hashlib.sha256(f"{channel}|{category_code or ''}|{text}|{where}|{phone.strip()}|{source_key}".encode()).hexdigest()


def _check_coordinates(lon, lat) -> tuple[float | None, float | None]:
    if lon is None and lat is None:
        return None, None
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError) as exc:
        raise ApplicationError(_("lon and lat must both be numbers."), code="invalid_coordinates") from exc
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise ApplicationError(_("(%(lon)s, %(lat)s) is not a longitude/latitude.") % {"lon": lon, "lat": lat}, code="invalid_coordinates")
    return lon, lat


def route(*, jurisdiction: Jurisdiction, description: str, lon=None, lat=None, crs: str = "wgs84", address: str = "",
          category_code: str | None = None, location_source: str = "") -> Routed:
    """Locate, classify and find who is responsible. Pure reads: safe to call for a preview."""
    r = Routed()
    lon, lat = _check_coordinates(lon, lat)
    if lon is not None:
        located = routing.locate_point(jurisdiction=jurisdiction, lon=lon, lat=lat, crs=crs)
        r.lon, r.lat, r.located = located["wgs84"]["lon"], located["wgs84"]["lat"], located
        r.location_source = location_source or "gps"
    elif address.strip():
        from wangge.routing import gazetteer

        hit = gazetteer.geocode(jurisdiction=jurisdiction, address=address)
        if hit is not None:
            located = routing.locate_point(jurisdiction=jurisdiction, lon=hit.lon, lat=hit.lat)
            r.lon, r.lat, r.located, r.location_source = hit.lon, hit.lat, located, "address"
    if category_code:
        r.category, r.confidence, r.category_source = cases.category_for(jurisdiction, category_code), 1.0, CategorySource.REPORTER
    else:
        from wangge.routing import classify

        prediction = classify.classify_text(jurisdiction=jurisdiction, text=description)
        if prediction is not None:
            r.category = Category.objects.filter(jurisdiction=jurisdiction, code=prediction.label, parent__isnull=False).first()
            r.confidence = round(float(prediction.confidence), 3)
            r.category_source = CategorySource.CLASSIFIER
            r.alternatives = [{"code": code, "confidence": round(float(c), 3)} for code, c in prediction.alternatives]
    if r.category is not None and r.located and r.located["inside_jurisdiction"]:
        r.department_id, r.rule = responsibility.suggest(jurisdiction=jurisdiction, category=r.category, located=r.located)
    return r


def _triage_reasons(r: Routed, *, trusted: bool) -> list[str]:
    reasons = []
    if r.located is None:
        reasons.append(TriageReason.UNLOCATED)
    elif not r.located["inside_jurisdiction"]:
        reasons.append(TriageReason.OUTSIDE)
    if r.category is None or (not trusted and (r.confidence or 0) < settings.WANGGE_CLASSIFY_THRESHOLD):
        reasons.append(TriageReason.LOW_CONFIDENCE)
    return reasons


def report_submit(
    *, jurisdiction: Jurisdiction, channel: str, actor=None, description: str, lon=None, lat=None, crs: str = "wgs84",
    address: str = "", category_code: str | None = None, reporter_name: str = "", reporter_phone: str = "",
    rider_platform: str = "", rider_station: str = "", photos: list[CleanImage] | None = None,
    idempotency_key: str | None = None, source_key: str = "", external_id: str = "", join_case_code: str = "",
    location_source: str = "", media_url: str = "",
) -> tuple[Report, bool]:
    """Receive one report. Returns (report, created); the same idempotency key or the same content from the
    same source within seconds returns the first report instead of a second one.

    Routing (locate, classify, responsibility) only reads, so it runs before the write transaction opens:
    on SQLite a transaction holds the database's one write lock from its first statement."""
    check_channel(channel)
    description = clean_description(description)
    if len(photos or []) > MAX_PHOTOS:
        raise ApplicationError(_("At most %(n)s photos at once.") % {"n": MAX_PHOTOS}, code="too_many_files")
    lon, lat = _check_coordinates(lon, lat)
    fingerprint = _fingerprint(channel=channel, description=description, lon=lon, lat=lat, address=address,
                               phone=reporter_phone, source_key=source_key, category_code=category_code)
    idempotency_key = (idempotency_key or "").strip()[:80] or None
    # The repeat check runs once, inside the write transaction (`_receive`; on SQLite under the write lock taken
    # at BEGIN IMMEDIATE): a repeat is routed for nothing first, which is rare and only reads. A repeated "join"
    # is answered before its target is checked again (the case may have moved on since the first tap).
    if join_case_code and (seen := _already_received(jurisdiction, idempotency_key, fingerprint)) is not None:
        return seen, False

    is_rider = channel == Channel.RIDER or bool(rider_platform.strip())
    if is_rider and channel == Channel.RESIDENT:
        channel = Channel.RIDER
    trusted = _in_person_staff(actor, channel)  # grid workers' patrol reports skip triage
    r = route(jurisdiction=jurisdiction, description=description, lon=lon, lat=lat, crs=crs, address=address,
              category_code=category_code or None, location_source=location_source)
    join = _join_target(jurisdiction, join_case_code, r) if join_case_code else None
    if join is not None and r.category is None:
        r.category, r.confidence, r.category_source = join.category, 1.0, CategorySource.REPORTER
    report = Report(
        jurisdiction=jurisdiction, channel=channel, idempotency_key=idempotency_key, fingerprint=fingerprint,
        source_key=source_key, external_id=external_id[:64], description=description, address=address.strip()[:200],
        reporter_name=reporter_name.strip()[:50], reporter_phone=reporter_phone.strip()[:32],
        reporter_user=actor if getattr(actor, "pk", None) else None, is_rider=is_rider,
        rider_platform=rider_platform.strip()[:30], rider_station=rider_station.strip()[:60], status=ReportStatus.TRIAGE,
        media_url=media_url,  # checked by the caller (Open311: an http(s) URL); kept as a reference, never fetched
    )
    _apply_routing(report, r)
    report.triage_reasons = [] if join is not None and r.located else _triage_reasons(r, trusted=trusted)
    return _receive(report, actor=actor, photos=photos or [], join=join)


def _already_received(jurisdiction: Jurisdiction, idempotency_key: str | None, fingerprint: str) -> Report | None:
    if idempotency_key:
        existing = Report.objects.filter(jurisdiction=jurisdiction, idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.fingerprint != fingerprint:
                raise idempotency_mismatch()
            return existing
    return Report.objects.filter(
        jurisdiction=jurisdiction, fingerprint=fingerprint,
        created_at__gte=timezone.now() - timedelta(seconds=settings.WANGGE_INTAKE_REPEAT_SECONDS),
    ).order_by("created_at").first()


@transaction.atomic
def _receive(report: Report, *, actor, photos: list[CleanImage], join: Case | None) -> tuple[Report, bool]:
    """Write the routed report, its photos and — when routing settled it — its case, all or nothing."""
    jurisdiction = report.jurisdiction
    seen = _already_received(jurisdiction, report.idempotency_key, report.fingerprint)  # inside the lock
    if seen is not None:
        return seen, False
    _throttle(jurisdiction, report.source_key, actor, report.channel)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError as exc:
        existing = Report.objects.filter(jurisdiction=jurisdiction, idempotency_key=report.idempotency_key).first()
        if report.idempotency_key and existing is not None:
            return existing, False
        raise Conflict(_("This report is being received right now; retry."), code="idempotency_race") from exc
    for image in photos:
        _store_photo(report, image)
    if not report.triage_reasons:
        _file(report, actor=actor, join=join)
    return report, True


def _apply_routing(report: Report, r: Routed) -> None:
    report.lon, report.lat, report.location_source = r.lon, r.lat, r.location_source
    report.category, report.category_confidence, report.category_source = r.category, r.confidence, r.category_source
    report.suggested_department_id = r.department_id
    located = r.located or {}
    report.routing = {
        "inside": located.get("inside_jurisdiction"),
        "grid": (located.get("grid") or {}).get("code"),
        "units": {u["layer"]: u["code"] for u in located.get("units", [])},
        "alternatives": r.alternatives or [],
        "rule": r.rule,
    }


def _join_target(jurisdiction: Jurisdiction, code: str, r: Routed) -> Case:
    """The open case a reporter chose to join ("is it one of these?"): it must be open and nearby."""
    case = Case.objects.filter(jurisdiction=jurisdiction, code=code.strip()).select_related("category").first()
    if case is None or not case.is_open or case.merged_into_id:
        raise ApplicationError(_("That case is not open any more; file your report on its own."), code="join_not_open")
    if r.lon is not None and dedupe.distance_m(r.lon, r.lat, case.lon, case.lat) > 5 * settings.WANGGE_DEDUPE_RADIUS_M:
        raise ApplicationError(_("That case is too far from your location to be the same problem."), code="join_too_far")
    if r.category is not None and r.category.pk != case.category_id:
        raise ApplicationError(_("That case is about a different kind of problem."), code="join_other_category")
    return case


def _store_photo(report: Report, image: CleanImage) -> ReportPhoto:
    photo = ReportPhoto(report=report, content_type=image.content_type, sha256=image.sha256, width=image.width,
                        height=image.height)
    photo.file.save(f"{image.sha256[:16]}.{image.extension}", ContentFile(image.content), save=False)
    photo.save()
    return photo


def _as_uploads(report: Report) -> list[PhotoUpload]:
    uploads = []
    for photo in report.photos.all():
        with photo.file.open("rb") as f:
            content = f.read()
        extension = photo.file.name.rsplit(".", 1)[-1]
        uploads.append(PhotoUpload(kind="report", image=CleanImage(
            content=content, content_type=photo.content_type, extension=extension, width=photo.width,
            height=photo.height, sha256=photo.sha256, had_location=False)))
    return uploads


def _file(report: Report, *, actor, join: Case | None = None, decided: bool = False) -> None:
    """Make the report a case; then join it to the chosen case, or to a sure duplicate, or flag a likely one
    (unless an operator has `decided` already: then a likely duplicate is noted and stays its own case)."""
    # The case's reporter is the report's own user; an operator filing a resident's report is not its reporter.
    case_actor = report.reporter_user or (None if report.channel in PUBLIC_CHANNELS else actor)
    case, _created = cases.case_report(
        jurisdiction=report.jurisdiction, actor=case_actor, channel=report.channel,
        category_code=report.category.code, description=report.description, lon=report.lon, lat=report.lat,
        address=report.address, reporter_name=report.reporter_name, reporter_phone=report.reporter_phone,
        idempotency_key=f"report:{report.tracking_code}", attachments=_as_uploads(report),
        suggested_department_id=report.suggested_department_id, category=report.category,
    )
    report.case, report.status = case, ReportStatus.FILED
    target, score = join, 1.0 if join else None
    if target is None:
        found = [c for c in dedupe.duplicate_candidates(
            jurisdiction_id=report.jurisdiction_id, lon=report.lon, lat=report.lat, category_id=report.category_id,
            text=report.description) if c.case.pk != case.pk]
        if found and found[0].score >= settings.WANGGE_DEDUPE_ASK:
            report.duplicate_of, report.duplicate_score = found[0].case, found[0].score
            if found[0].score >= settings.WANGGE_DEDUPE_AUTO:
                target, score = found[0].case, found[0].score
            elif not decided:
                report.triage_reasons = [TriageReason.DUPLICATE]
                report.status = ReportStatus.TRIAGE
    if target is not None:
        why = "报告人选择加入" if join else auto_merge_reason(score)
        report.case = cases.case_merge(case_id=case.pk, into_case_id=target.pk, actor=None, reason=why)
        report.status, report.duplicate_of, report.duplicate_score = ReportStatus.JOINED, target, score
    report.save()


# --- Triage: an operator settles what routing could not -------------------------------------------------

def _operator(actor, report: Report) -> None:
    if actor is None or not (actor.is_superuser or actor.role in (Role.OPERATOR, Role.ADMIN)):
        raise PermissionDenied(_("Only the operations centre resolves triage."))
    if not actor.is_superuser and actor.jurisdiction_id != report.jurisdiction_id:
        raise NotFound(_("Report not found."))


def _locked(report_id: int) -> Report:
    report = Report.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise NotFound(_("Report %(id)s not found.") % {"id": report_id})
    return report


TRIAGE_MIN_ADDRESS_CONFIDENCE = 0.55  # below: only the road is known, too vague to file a case at


def place_from_text(*, jurisdiction: Jurisdiction, text: str) -> tuple[float, float, str]:
    """(lon, lat, crs) of what an operator typed as a triaged report's place: coordinates read off our own map
    ("lat,lon", WGS84), a map app's link, or an address of the street found in its gazetteer."""
    try:
        return parse_location_link(text, bare_crs="wgs84")
    except ApplicationError as not_a_link:
        if not (text or "").strip() or text.strip().lower().startswith(("http://", "https://")):
            raise
        hit = gazetteer.geocode(jurisdiction=jurisdiction, address=text)
        if hit is None:
            raise ApplicationError(_("“%(text)s” is not coordinates, a map link or an address of this street.")
                                   % {"text": text.strip()[:60]}, code="invalid_location") from not_a_link
        if hit.confidence < TRIAGE_MIN_ADDRESS_CONFIDENCE:
            raise ApplicationError(_("Only the road of “%(text)s” is known: add the house number or lane, or set a pin.")
                                   % {"text": text.strip()[:60]}, code="imprecise_address") from not_a_link
        return hit.lon, hit.lat, "wgs84"


@transaction.atomic
def report_triage_file(*, report_id: int, actor, category_code: str | None = None, lon=None, lat=None,
                       crs: str = "wgs84", note: str = "") -> Report:
    """File a triaged report as a case, with the operator's category and/or location where routing had none."""
    report = _locked(report_id)
    _operator(actor, report)
    if report.status != ReportStatus.TRIAGE or report.case_id:
        raise Conflict(_("This report is already %(status)s.") % {"status": ReportStatus(report.status).label}, code="already_resolved")
    code = category_code or (report.category.code if report.category else None)
    if not code:
        raise ApplicationError(_("Choose the category (小类) of this report."), code="category_required")
    has_point = lon is not None or lat is not None
    r = route(jurisdiction=report.jurisdiction, description=report.description,
              lon=lon if has_point else report.lon, lat=lat if has_point else report.lat,
              crs=crs if has_point else "wgs84", address="" if has_point or report.lon is not None else report.address,
              category_code=code, location_source="operator" if has_point else report.location_source)
    if r.located is None:
        raise ApplicationError(_("Set the place on the map: the report has no location."), code="location_required")
    if not r.located["inside_jurisdiction"]:
        raise ApplicationError(_("The place is outside this jurisdiction: reject the report or move the pin."),
                               code="outside_jurisdiction")
    _apply_routing(report, r)
    if category_code:
        report.category_source = CategorySource.OPERATOR
    report.triage_reasons = []
    report.resolved_by, report.resolved_at, report.resolution_note = actor, timezone.now(), note.strip()[:300]
    _file(report, actor=actor, decided=True)
    return report


@transaction.atomic
def report_triage_duplicate(*, report_id: int, actor, merge: bool, note: str = "") -> Report:
    """A suspected duplicate: merge it into the candidate (并单) or keep it as a case of its own."""
    report = _locked(report_id)
    _operator(actor, report)
    if TriageReason.DUPLICATE not in report.triage_reasons or report.status != ReportStatus.TRIAGE:
        raise Conflict(_("This report is not waiting for a duplicate decision."), code="already_resolved")
    if merge:
        if report.duplicate_of_id is None:
            raise Conflict(_("The candidate case is gone; keep the report as its own case."), code="candidate_gone")
        report.case = cases.case_merge(case_id=report.case_id, into_case_id=report.duplicate_of_id, actor=actor,
                                       reason=note or "并单（人工确认）")
        report.status = ReportStatus.JOINED
    else:
        report.status = ReportStatus.FILED
    report.triage_reasons = []
    report.resolved_by, report.resolved_at, report.resolution_note = actor, timezone.now(), note.strip()[:300]
    report.save()
    return report


@transaction.atomic
def report_triage_reject(*, report_id: int, actor, reason: str) -> Report:
    """Not a matter for this street (outside, not a problem, abuse): the reporter sees the reason."""
    report = _locked(report_id)
    _operator(actor, report)
    if report.status != ReportStatus.TRIAGE or report.case_id:
        raise Conflict(_("This report is already %(status)s.") % {"status": ReportStatus(report.status).label}, code="already_resolved")
    if not (reason or "").strip():
        raise ApplicationError(_("Say why the report is not accepted: the reporter will read it."), code="reason_required")
    report.status, report.triage_reasons = ReportStatus.REJECTED, []
    report.resolved_by, report.resolved_at, report.resolution_note = actor, timezone.now(), reason.strip()[:300]
    report.save()
    return report


# --- The reporter, by tracking code -----------------------------------------------------------------------

def report_by_code(*, code: str) -> Report:
    report = (Report.objects.select_related("case", "case__category", "category", "jurisdiction")
              .filter(tracking_code=(code or "").strip().upper()).first())
    if report is None:
        raise NotFound(_("No report has this tracking code."))
    return report


def report_rate(*, code: str, rating: str, comment: str = "", actor=None) -> Case:
    """评价 from the follow page: the tracking code proves the rater reported the problem."""
    report = report_by_code(code=code)
    if rating not in RATINGS:
        raise ApplicationError(_("rating must be one of %(ratings)s.") % {"ratings": ", ".join(RATINGS)}, code="invalid_payload")
    if report.case_id is None:
        raise Conflict(_("The report has not become a case yet; it can be rated once it is closed."), code="not_closed")
    return cases.case_act(case_id=report.case_id, actor=actor if getattr(actor, "pk", None) else None, action="evaluate",
                          payload={"rating": rating, "comment": comment}, as_reporter=True)
