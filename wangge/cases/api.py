"""The case loop over HTTP: thin wrappers over cases.services and cases.selectors."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from wangge.cases import notify, selectors, services
from wangge.cases.models import Attachment, Case
from wangge.cases.uploads import photos_from_files
from wangge.core.errors import ApplicationError, NotFound
from wangge.grids.selectors import jurisdiction_for_user

router = Router(tags=["cases"])
MAX_PAGE = 200


class CaseIn(Schema):
    category: str = Field(..., description="minor category code (小类)")
    description: str = Field(..., min_length=1, max_length=2000)
    lon: float
    lat: float
    crs: str = Field("wgs84", pattern="^(wgs84|gcj02|bd09)$")
    address: str = Field("", max_length=200)
    channel: str = "operator"
    reporter_name: str = Field("", max_length=50)
    reporter_phone: str = Field("", max_length=32)
    priority: int = 2
    idempotency_key: str | None = Field(None, max_length=80)


class QuickIn(CaseIn):
    result: str = Field(..., min_length=1, max_length=2000, description="what was done on the spot")


class ActionIn(Schema):
    reason: str = ""
    payload: dict = {}
    version: int | None = Field(None, description="the case version you acted on; a newer one gives 409")


class MergeIn(Schema):
    into: str = Field(..., description="code of the case that absorbs this one")
    reason: str = ""


class CaseOut(Schema):
    code: str
    state: str
    state_label: str
    version: int
    channel: str
    category: str
    category_name: str
    description: str
    address: str
    lon: float
    lat: float
    grid: str | None
    lead_department: str | None
    size: str
    priority: int
    sla_status: str
    deadline_at: str | None
    created_at: str


class CaseDetailOut(CaseOut):
    reporter: dict
    units: dict
    assisting_ids: list[int]
    rework_count: int
    shelved: bool
    extension_pending: bool
    shelve_pending: bool
    merged_into: str | None
    duplicates: int
    rating: str
    allowed_actions: list[str]
    timeline: list[dict]
    attachments: list[dict]


class CaseListOut(Schema):
    count: int
    items: list[CaseOut]


def case_out(case: Case) -> dict:
    return {
        "code": case.code, "state": case.state, "state_label": str(case.get_state_display()), "version": case.version,
        "channel": case.channel, "category": case.category.code, "category_name": case.category.name,
        "description": case.description, "address": case.address, "lon": case.lon, "lat": case.lat,
        "grid": case.grid.code if case.grid_id else None,
        "lead_department": case.lead_department.name if case.lead_department_id else None, "size": case.size,
        "priority": case.priority, "sla_status": case.sla_status,
        "deadline_at": case.deadline_at.isoformat() if case.deadline_at else None, "created_at": case.created_at.isoformat(),
    }


def case_detail(case: Case, user) -> dict:
    return {
        **case_out(case), "reporter": selectors.reporter_view(user=user, case=case), "units": case.units,
        "assisting_ids": case.assisting_ids, "rework_count": case.rework_count, "shelved": case.shelved,
        "extension_pending": case.extension_pending, "shelve_pending": case.shelve_pending,
        "merged_into": case.merged_into.code if case.merged_into_id else None, "duplicates": case.duplicates,
        "rating": case.rating, "allowed_actions": services.case_allowed_actions(case=case, user=user),
        "timeline": [{**e, "at": e["at"].isoformat()} for e in selectors.timeline(case=case)],
        "attachments": [{"id": a.pk, "kind": a.kind, "url": f"/api/v1/cases/{case.code}/attachments/{a.pk}"}
                        for a in case.attachments.all()],
    }


def _get(request: HttpRequest, code: str) -> Case:
    return selectors.case_get_for_user(user=request.user, jurisdiction=jurisdiction_for_user(request.user), code=code)


class QueueFilter(Schema):
    state: str | None = None
    grid: str | None = None
    department: int | None = None
    category: str | None = None
    channel: str | None = None
    lateness: str | None = Field(None, pattern="^(overdue|soon)$")
    mine: bool = False
    q: str | None = None
    offset: int = 0
    limit: int = 50


@router.get("/cases", response=CaseListOut, summary="The queue / inbox: cases you may see, filtered")
def case_list(request, f: Query[QueueFilter]):
    qs = selectors.queue(user=request.user, jurisdiction=jurisdiction_for_user(request.user), state=f.state, grid=f.grid,
                         department=f.department, category=f.category, channel=f.channel, lateness=f.lateness,
                         mine=f.mine, q=f.q)
    limit, offset = max(1, min(f.limit, MAX_PAGE)), max(0, f.offset)
    return {"count": qs.count(), "items": [case_out(c) for c in qs[offset : offset + limit]]}


@router.post("/cases", response={200: CaseDetailOut, 201: CaseDetailOut}, summary="Report a case (idempotent with a key)")
def case_create(request, payload: CaseIn):
    key = payload.idempotency_key or request.headers.get("Idempotency-Key")
    case, created = services.case_report(
        jurisdiction=jurisdiction_for_user(request.user), actor=request.user, channel=payload.channel,
        category_code=payload.category, description=payload.description, lon=payload.lon, lat=payload.lat,
        crs=payload.crs, address=payload.address, reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone, priority=payload.priority, idempotency_key=key,
    )
    return Status(201 if created else 200, case_detail(case, request.user))


@router.post("/cases/quick", response={201: CaseDetailOut}, summary="即办件: report and settle on the spot (grid workers)")
def case_quick(request, payload: QuickIn):
    case = services.case_quick_handle(
        jurisdiction=jurisdiction_for_user(request.user), actor=request.user, category_code=payload.category,
        description=payload.description, lon=payload.lon, lat=payload.lat, crs=payload.crs, address=payload.address,
        result=payload.result, idempotency_key=payload.idempotency_key or request.headers.get("Idempotency-Key"),
    )
    return Status(201, case_detail(case, request.user))


@router.get("/cases/geojson", summary="Open cases as points, coloured by state and lateness")
def case_geojson(request):
    qs = selectors.queue(user=request.user, jurisdiction=jurisdiction_for_user(request.user), state="open")
    now = timezone.now()
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
             "properties": {"code": c.code, "state": c.state, "category": c.category.name,
                            "lateness": "overdue" if (c.sla_status == "overdue" or (c.deadline_at and c.deadline_at <= now))
                            else ("soon" if c.warn_at and c.warn_at <= now else "ok")}}
            for c in qs[:5000]
        ],
    }


@router.get("/cases/{code}", response=CaseDetailOut, summary="One case with its timeline and the actions you may take")
def case_get(request, code: str):
    return case_detail(_get(request, code), request.user)


@router.post("/cases/{code}/actions/merge", response=CaseDetailOut, summary="并单: merge this case into another")
def case_merge(request, code: str, payload: MergeIn):
    case = _get(request, code)
    target = _get(request, payload.into)
    merged = services.case_merge(case_id=case.pk, into_case_id=target.pk, actor=request.user, reason=payload.reason)
    return case_detail(merged, request.user)


@router.post("/cases/{code}/actions/{verb}", response=CaseDetailOut, summary="Take an action (state transition)")
def case_action(request, code: str, verb: str, payload: ActionIn):
    case = _get(request, code)
    case = services.case_act(case_id=case.pk, actor=request.user, action=verb, reason=payload.reason,
                             payload=payload.payload, expected_version=payload.version)
    return case_detail(case, request.user)


@router.post("/cases/{code}/attachments", response={201: CaseDetailOut}, summary="Attach photos to your latest step")
def case_attach(request, code: str, kind: Form[str], photos: File[list[UploadedFile]]):
    case = _get(request, code)
    uploads = photos_from_files(photos, kind=kind)
    event = case.events.filter(actor=request.user).order_by("-seq").first()
    if event is None:
        raise ApplicationError(_("Attach photos to a step you took on this case."), code="no_step")
    for upload in uploads:
        upload.save_for(case=case, event=event, user=request.user)
    return Status(201, case_detail(case, request.user))


@router.get("/cases/{code}/attachments/{attachment_id}", summary="A photo of a case (scoped)")
def case_attachment(request, code: str, attachment_id: int):
    case = _get(request, code)
    attachment = Attachment.objects.filter(case=case, pk=attachment_id).first()
    if attachment is None:
        raise NotFound(_("No such photo."))
    return FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)


@router.get("/categories", summary="The two-level case classification")
def category_list(request):
    return [
        {"code": c.code, "name": c.name, "kind": c.kind, "parent": c.parent.code if c.parent_id else None,
         "size": c.size, "limits_hours": {"sign": c.sign_hours, "handle": c.handle_hours, "verify": c.verify_hours}}
        for c in selectors.categories(jurisdiction=jurisdiction_for_user(request.user))
    ]


@router.get("/notifications", summary="Your unread notifications")
def notification_list(request):
    return [{"id": n.pk, "case": n.case.code if n.case_id else None, "kind": n.kind, "message": notify.render(n),
             "created_at": n.created_at.isoformat()} for n in selectors.unread_notifications(user=request.user)[:100]]


@router.post("/notifications/{notification_id}/read", summary="Mark a notification read")
def notification_read(request, notification_id: int):
    n = selectors.unread_notifications(user=request.user).filter(pk=notification_id).first()
    if n is None:
        raise NotFound(_("No such unread notification."))
    n.read_at = timezone.now()
    n.save(update_fields=["read_at"])
    return {"id": n.pk, "read": True}



