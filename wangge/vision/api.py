"""Cameras, zones, the live wall and gathering alerts over HTTP: thin wrappers over services and selectors."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from wangge.core.errors import ApplicationError, NotFound
from wangge.grids.selectors import jurisdiction_for_user

from . import selectors, services
from .models import Camera, GatheringAlert, Zone

router = Router(tags=["vision"])
MAX_PAGE = 200


class CameraIn(Schema):
    name: str = Field(..., max_length=80)
    lon: float
    lat: float
    crs: str = Field("wgs84", pattern="^(wgs84|gcj02|bd09)$")
    kind: str = Field(..., description="rtsp, mjpeg, snapshot or file (a test video under the file root)")
    stream_url: str = Field(..., max_length=500)
    address: str = Field("", max_length=200)
    sample_fps: float = 1.0
    active: bool = True


class CameraPatch(Schema):
    name: str | None = Field(None, max_length=80)
    lon: float | None = None
    lat: float | None = None
    crs: str = Field("wgs84", pattern="^(wgs84|gcj02|bd09)$")
    kind: str | None = None
    stream_url: str | None = Field(None, max_length=500)
    address: str | None = Field(None, max_length=200)
    sample_fps: float | None = None
    active: bool | None = None


class ZoneIn(Schema):
    name: str = Field(..., max_length=60)
    polygon: list[list[float]] = Field(..., description="[[x, y], ...] in the camera picture's pixels")
    alert_level: int = Field(..., description="alert when at least this many people …")
    clear_level: int = Field(..., description="… and clear below this many (less than alert_level)")
    hold_seconds: int = Field(60, description="… stay for this long")
    window_seconds: int = 30
    cooldown_seconds: int = 600
    active_from: str | None = Field(None, description="HH:MM, Asia/Shanghai; with active_until")
    active_until: str | None = None
    active: bool = True


class ZoneOut(Schema):
    id: int
    camera: int
    name: str
    polygon: list[list[float]]
    alert_level: int
    clear_level: int
    hold_seconds: int
    window_seconds: int
    cooldown_seconds: int
    active_from: str | None
    active_until: str | None
    active: bool


class CameraOut(Schema):
    id: int
    name: str
    lon: float
    lat: float
    grid: str | None
    address: str
    kind: str
    stream_url: str
    sample_fps: float
    active: bool
    health: str
    health_at: str | None
    last_error: str
    frame_width: int
    frame_height: int
    last_frame_at: str | None
    frame_url: str | None
    zones: list[ZoneOut]


class AlertOut(Schema):
    id: int
    camera: int
    camera_name: str
    zone: int
    zone_name: str
    started_at: str
    raised_at: str
    cleared_at: str | None
    peak: int
    alert_level: int
    status: str
    case: str | None
    case_error: str
    evidence_url: str | None
    note: str
    decided_at: str | None


class AlertDetailOut(AlertOut):
    counts: list[list]
    detections: list[list[float]]


class AlertListOut(Schema):
    count: int
    items: list[AlertOut]


class ConfirmIn(Schema):
    department_id: int | None = Field(None, description="dispatch the case to this department (城管 / 派出所)")
    note: str = Field("", max_length=2000)


class DismissIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def zone_out(zone: Zone) -> dict:
    return {"id": zone.pk, "camera": zone.camera_id, "name": zone.name, "polygon": zone.polygon,
            "alert_level": zone.alert_level, "clear_level": zone.clear_level, "hold_seconds": zone.hold_seconds,
            "window_seconds": zone.window_seconds, "cooldown_seconds": zone.cooldown_seconds,
            "active_from": zone.active_from.strftime("%H:%M") if zone.active_from else None,
            "active_until": zone.active_until.strftime("%H:%M") if zone.active_until else None, "active": zone.active}


def camera_out(camera: Camera) -> dict:
    return {
        "id": camera.pk, "name": camera.name, "lon": camera.lon, "lat": camera.lat,
        "grid": camera.grid.code if camera.grid_id else None, "address": camera.address, "kind": camera.kind,
        "stream_url": camera.stream_url, "sample_fps": camera.sample_fps, "active": camera.active,
        "health": camera.health, "health_at": _iso(camera.health_at), "last_error": camera.last_error,
        "frame_width": camera.frame_width, "frame_height": camera.frame_height,
        "last_frame_at": _iso(camera.last_frame_at),
        "frame_url": f"/api/v1/vision/cameras/{camera.pk}/frame" if camera.last_frame else None,
        "zones": [zone_out(z) for z in camera.zones.all()],
    }


def alert_out(alert: GatheringAlert) -> dict:
    return {
        "id": alert.pk, "camera": alert.camera_id, "camera_name": alert.camera.name, "zone": alert.zone_id,
        "zone_name": alert.zone.name, "started_at": alert.started_at.isoformat(), "raised_at": alert.raised_at.isoformat(),
        "cleared_at": _iso(alert.cleared_at), "peak": alert.peak, "alert_level": alert.alert_level,
        "status": alert.status, "case": alert.case.code if alert.case_id else None, "case_error": alert.case_error,
        "evidence_url": f"/api/v1/vision/alerts/{alert.pk}/evidence" if alert.evidence else None,
        "note": alert.note, "decided_at": _iso(alert.decided_at),
    }


def alert_detail(alert: GatheringAlert) -> dict:
    return {**alert_out(alert), "counts": alert.counts, "detections": alert.detections}


def _j(request: HttpRequest):
    return jurisdiction_for_user(request.user)


def _camera(request: HttpRequest, camera_id: int) -> Camera:
    return selectors.camera_get_for_user(user=request.user, jurisdiction=_j(request), camera_id=camera_id)


def _alert(request: HttpRequest, alert_id: int) -> GatheringAlert:
    return selectors.alert_get_for_user(user=request.user, jurisdiction=_j(request), alert_id=alert_id)


@router.get("/vision/cameras", response=list[CameraOut], summary="Cameras of your jurisdiction (operators)")
def camera_list(request):
    return [camera_out(c) for c in selectors.cameras_for(user=request.user, jurisdiction=_j(request))
            .prefetch_related("zones")]


@router.post("/vision/cameras", response={201: CameraOut}, summary="Register a camera (administrators)")
def camera_create(request, payload: CameraIn):
    camera = services.camera_register(jurisdiction=_j(request), actor=request.user, **payload.dict())
    return Status(201, camera_out(camera))


@router.get("/vision/cameras/{camera_id}", response=CameraOut, summary="One camera with its zones")
def camera_get(request, camera_id: int):
    return camera_out(_camera(request, camera_id))


@router.patch("/vision/cameras/{camera_id}", response=CameraOut, summary="Change a camera (administrators)")
def camera_patch(request, camera_id: int, payload: CameraPatch):
    camera = services.camera_update(camera=_camera(request, camera_id), actor=request.user,
                                    **payload.dict(exclude_unset=True))
    return camera_out(camera)


@router.post("/vision/cameras/{camera_id}/snapshot", response=CameraOut, summary="Take a picture now (zones are drawn on it)")
def camera_snapshot(request, camera_id: int):
    return camera_out(services.camera_snapshot(camera=_camera(request, camera_id), actor=request.user))


@router.get("/vision/cameras/{camera_id}/frame", summary="The camera's latest picture (JPEG; operators)")
def camera_frame(request, camera_id: int):
    camera = _camera(request, camera_id)
    if not camera.last_frame:
        raise NotFound(_("This camera has no picture yet."))
    return FileResponse(camera.last_frame.open("rb"), content_type="image/jpeg")


@router.post("/vision/cameras/{camera_id}/zones", response={201: ZoneOut}, summary="Draw a zone (administrators)")
def zone_create(request, camera_id: int, payload: ZoneIn):
    zone = services.zone_save(camera=_camera(request, camera_id), actor=request.user, **payload.dict())
    return Status(201, zone_out(zone))


@router.put("/vision/zones/{zone_id}", response=ZoneOut, summary="Change a zone (administrators)")
def zone_update(request, zone_id: int, payload: ZoneIn):
    zone = selectors.zone_get_for_user(user=request.user, jurisdiction=_j(request), zone_id=zone_id)
    return zone_out(services.zone_save(camera=zone.camera, zone=zone, actor=request.user, **payload.dict()))


@router.delete("/vision/zones/{zone_id}", response={204: None}, summary="Remove a zone (administrators)")
def zone_remove(request, zone_id: int):
    zone = selectors.zone_get_for_user(user=request.user, jurisdiction=_j(request), zone_id=zone_id)
    services.zone_delete(zone=zone, actor=request.user)
    return Status(204, None)


@router.get("/vision/zones/{zone_id}/hourly", summary="Counting history: the peak count of each hour")
def zone_hourly(request, zone_id: int, since: datetime | None = None, until: datetime | None = None):
    """Default: the last 24 hours; at most 93 days at once."""
    zone = selectors.zone_get_for_user(user=request.user, jurisdiction=_j(request), zone_id=zone_id)
    until = until or timezone.now()
    since = since or until - timedelta(hours=24)
    if since.tzinfo is None or until.tzinfo is None:
        raise ApplicationError(_("Give since/until with a time zone (e.g. +08:00)."), code="invalid_range")
    if not timedelta(0) < until - since <= timedelta(days=93):
        raise ApplicationError(_("since must be before until, at most 93 days apart."), code="invalid_range")
    return {"zone": zone.pk, "hours": selectors.zone_hourly_peaks(zone=zone, since=since, until=until)}


@router.get("/vision/wall", summary="The live wall: each camera's health, zones, counts and last hour")
def wall(request):
    return [{
        "camera": {"id": row["camera"].pk, "name": row["camera"].name, "health": row["camera"].health,
                   "last_error": row["camera"].last_error, "last_frame_at": _iso(row["camera"].last_frame_at),
                   "frame_url": f"/api/v1/vision/cameras/{row['camera'].pk}/frame" if row["camera"].last_frame else None},
        "zones": [{"id": z["id"], "name": z["name"], "polygon": z["polygon"], "count": z["count"], "robust": z["robust"],
                   "alert_level": z["alert_level"], "alerting": z["alerting"], "open_alert": z["open_alert_id"],
                   "last_hour": z["series"]} for z in row["zones"]],
    } for row in selectors.wall(user=request.user, jurisdiction=_j(request))]


@router.get("/vision/alerts", response=AlertListOut, summary="Gathering alerts you may see, newest first")
def alert_list(request, status: str | None = Query(None, pattern="^(open|confirmed|dismissed)$"), offset: int = 0,
               limit: int = 50):
    qs = selectors.alerts_visible_to(user=request.user, jurisdiction=_j(request))
    if status:
        qs = qs.filter(status=status)
    limit, offset = max(1, min(limit, MAX_PAGE)), max(0, offset)
    return {"count": qs.count(), "items": [alert_out(a) for a in qs[offset : offset + limit]]}


@router.get("/vision/alerts/{alert_id}", response=AlertDetailOut, summary="One alert with its count series")
def alert_get(request, alert_id: int):
    return alert_detail(_alert(request, alert_id))


@router.get("/vision/alerts/{alert_id}/evidence", summary="The evidence frame (operators and the handling department)")
def alert_evidence(request, alert_id: int):
    alert = _alert(request, alert_id)
    if not alert.evidence:
        raise NotFound(_("The evidence frame was purged (retention) or never stored."))
    return FileResponse(alert.evidence.open("rb"), content_type="image/jpeg")


@router.post("/vision/alerts/{alert_id}/actions/confirm", response=AlertDetailOut, summary="Confirm: the case proceeds")
def alert_confirm(request, alert_id: int, payload: ConfirmIn):
    alert = services.alert_confirm(alert=_alert(request, alert_id), actor=request.user,
                                   department_id=payload.department_id, note=payload.note)
    return alert_detail(alert)


@router.post("/vision/alerts/{alert_id}/actions/dismiss", response=AlertDetailOut, summary="Dismiss as a false alarm")
def alert_dismiss(request, alert_id: int, payload: DismissIn):
    return alert_detail(services.alert_dismiss(alert=_alert(request, alert_id), actor=request.user, reason=payload.reason))


