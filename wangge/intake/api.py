"""Intake over HTTP: public report submission and follow-up (no account), and the operators' triage."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field, field_validator

from wangge.accounts.services import api_token_authenticate
from wangge.cases.uploads import photos_from_files
from wangge.core.errors import NotFound, PermissionDenied
from wangge.core.phones import contact_phone_normalize
from wangge.grids.selectors import jurisdiction_for_user
from wangge.intake import selectors, services
from wangge.intake.models import Report, TriageReason
from wangge.routing.links import parse_location_link

router = Router(tags=["intake"])
MAX_PAGE = 200


class ReportIn(Schema):
    description: str = Field(..., min_length=1, max_length=2000)
    lon: float | None = None
    lat: float | None = None
    crs: str = Field("wgs84", pattern="^(wgs84|gcj02|bd09)$")
    location_link: str = Field("", max_length=500, description="an AMap / Tencent / Baidu link or 'lat,lon'")
    address: str = Field("", max_length=200)
    category: str | None = Field(None, description="minor category code (小类); empty: classified from the text")
    reporter_name: str = Field("", max_length=50)
    reporter_phone: str = Field("", max_length=32)
    rider_platform: str = Field("", max_length=30, description="set by delivery riders: 美团, 饿了么 …")
    rider_station: str = Field("", max_length=60)
    join_case: str = Field("", max_length=32, description="code of an open case nearby that is the same problem")
    jurisdiction: str | None = Field(None, description="street code; default: the instance's street")
    idempotency_key: str | None = Field(None, max_length=80)

    @field_validator("lon", "lat", mode="before")
    @classmethod
    def blank_is_none(cls, value):
        return None if isinstance(value, str) and not value.strip() else value


class StepOut(Schema):
    at: datetime | None
    text: str


class ReportOut(Schema):
    tracking_code: str
    status: str
    status_label: str
    triage_reasons: list[str]
    case: str | None
    case_state: str | None
    category: str | None
    follow_url: str
    steps: list[StepOut]


class RatingIn(Schema):
    rating: str = Field(..., description="satisfied / basically_satisfied / unsatisfied")
    comment: str = Field("", max_length=500)


class NearbyOut(Schema):
    code: str
    category: str
    description: str
    distance_m: int
    created_at: datetime
    duplicates: int


class TriageOut(Schema):
    id: int
    tracking_code: str
    channel: str
    created_at: datetime
    description: str
    address: str
    lon: float | None
    lat: float | None
    reasons: list[str]
    category: str | None
    category_confidence: float | None
    alternatives: list[dict]
    duplicate_of: str | None
    duplicate_score: float | None
    reporter_name: str
    reporter_phone: str


class TriageListOut(Schema):
    count: int
    items: list[TriageOut]


class TriageIn(Schema):
    category: str | None = None
    lon: float | None = None
    lat: float | None = None
    crs: str = Field("wgs84", pattern="^(wgs84|gcj02|bd09)$")
    where: str = Field("", max_length=500,
                       description="instead of lon/lat: a map link, 'lat,lon' (WGS84) or an address of the street")
    reason: str = ""


def _bearer_user(request: HttpRequest):
    """Public endpoints take no session (no CSRF exposure) but do honour an API token (grid-worker apps)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        user = api_token_authenticate(key=header[7:].strip())
        if user is None:
            raise PermissionDenied(_("The API token is not valid."))
        return user
    return None


def report_out(report: Report, request: HttpRequest) -> dict:
    case = report.case
    return {
        "tracking_code": report.tracking_code, "status": report.status, "status_label": report.get_status_display(),
        "triage_reasons": report.triage_reasons, "case": case.code if case else None,
        "case_state": case.state if case else None, "category": report.category.code if report.category else None,
        "follow_url": request.build_absolute_uri(f"/r/{report.tracking_code}/"),
        "steps": selectors.public_timeline(report=report),
    }


@router.post("/reports", auth=None, response={200: ReportOut, 201: ReportOut},
             summary="Report a problem (residents, riders, apps): no account needed; photos as multipart")
def report_create(request, payload: Form[ReportIn], photos: File[list[UploadedFile]] = None):
    user = _bearer_user(request)
    jurisdiction = jurisdiction_for_user(user) if user else selectors.public_jurisdiction(code=payload.jurisdiction)
    phone = contact_phone_normalize(payload.reporter_phone)  # a mobile or a fixed line, or 422 with the reason
    lon, lat, crs, how = payload.lon, payload.lat, payload.crs, "gps"
    if lon is None and payload.location_link:
        (lon, lat, crs), how = parse_location_link(payload.location_link), "link"
    images = [p.image for p in photos_from_files(photos or [], kind="report")]
    patrol = user is not None and user.role == "grid_worker"
    report, created = services.report_submit(
        jurisdiction=jurisdiction, actor=user,
        channel="patrol" if patrol else "rider" if payload.rider_platform else "resident",
        description=payload.description, lon=lon, lat=lat, crs=crs, address=payload.address,
        category_code=payload.category or None, reporter_name=payload.reporter_name,
        reporter_phone=phone,
        rider_platform=payload.rider_platform, rider_station=payload.rider_station, photos=images,
        idempotency_key=payload.idempotency_key or request.headers.get("Idempotency-Key"),
        source_key=services.source_key_for(ip=request.META.get("REMOTE_ADDR", ""), user=user),
        join_case_code=payload.join_case, location_source=how if lon is not None else "",
    )
    report = services.report_by_code(code=report.tracking_code)
    return Status(201 if created else 200, report_out(report, request))


@router.get("/reports/nearby", auth=None, response=list[NearbyOut],
            summary="Open cases near a place (is it one of these?); no personal data")
def report_nearby(request, lon: float, lat: float, crs: str = "wgs84", category: str | None = None,
                  jurisdiction: str | None = None):
    from wangge.cases.models import Category
    from wangge.routing.coords import to_wgs84

    j = selectors.public_jurisdiction(code=jurisdiction)
    wlon, wlat = to_wgs84(lon, lat, crs) if crs != "wgs84" else (lon, lat)
    cat = Category.objects.filter(jurisdiction=j, code=category or "", parent__isnull=False).first()
    return selectors.nearby_public(jurisdiction=j, lon=wlon, lat=wlat, category_id=cat.pk if cat else None)


@router.get("/reports/{code}", auth=None, response=ReportOut, summary="Follow a report by its tracking code")
def report_get(request, code: str):
    return report_out(services.report_by_code(code=code), request)


@router.post("/reports/{code}/rating", auth=None, response=ReportOut, summary="Rate the closed case (评价)")
def report_rating(request, code: str, payload: RatingIn):
    services.report_rate(code=code, rating=payload.rating, comment=payload.comment, actor=_bearer_user(request))
    return report_out(services.report_by_code(code=code), request)


def _triage_jurisdiction(request):
    user = request.user
    if not (user.is_superuser or user.role in ("operator", "admin")):
        raise PermissionDenied(_("Only the operations centre triages reports."))
    return jurisdiction_for_user(user)


def triage_out(r: Report) -> dict:
    return {
        "id": r.pk, "tracking_code": r.tracking_code, "channel": r.channel, "created_at": r.created_at,
        "description": r.description, "address": r.address, "lon": r.lon, "lat": r.lat, "reasons": r.triage_reasons,
        "category": r.category.code if r.category else None, "category_confidence": r.category_confidence,
        "alternatives": r.routing.get("alternatives", []), "duplicate_of": r.duplicate_of.code if r.duplicate_of else None,
        "duplicate_score": r.duplicate_score, "reporter_name": r.reporter_name, "reporter_phone": r.reporter_phone,
    }


@router.get("/triage", response=TriageListOut, summary="Reports waiting for an operator (operators only)")
def triage_list(request, reason: str | None = None, limit: int = 50, offset: int = 0):
    reason = reason if reason in TriageReason.values else None
    qs = selectors.triage_queue(jurisdiction=_triage_jurisdiction(request), reason=reason)
    limit, offset = max(1, min(limit, MAX_PAGE)), max(0, offset)
    return {"count": qs.count(), "items": [triage_out(r) for r in qs[offset: offset + limit]]}


@router.post("/triage/{report_id}/actions/{verb}", response=TriageOut,
             summary="Settle a triaged report: file / merge / keep / reject")
def triage_action(request, report_id: int, verb: str, payload: TriageIn):
    jurisdiction = _triage_jurisdiction(request)
    if not Report.objects.filter(jurisdiction=jurisdiction, pk=report_id).exists():
        raise NotFound(_("Report %(id)s not found.") % {"id": report_id})
    if verb == "file":
        lon, lat, crs = payload.lon, payload.lat, payload.crs
        if payload.where:
            lon, lat, crs = services.place_from_text(jurisdiction=jurisdiction, text=payload.where)
        report = services.report_triage_file(report_id=report_id, actor=request.user, category_code=payload.category,
                                             lon=lon, lat=lat, crs=crs, note=payload.reason)
    elif verb in ("merge", "keep"):
        report = services.report_triage_duplicate(report_id=report_id, actor=request.user, merge=verb == "merge",
                                                  note=payload.reason)
    elif verb == "reject":
        report = services.report_triage_reject(report_id=report_id, actor=request.user, reason=payload.reason)
    else:
        raise NotFound(_("Unknown triage action %(verb)r: file, merge, keep or reject.") % {"verb": verb})
    return triage_out(report)



