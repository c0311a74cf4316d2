"""Writers of the vision tables: cameras, zones, the per-frame analysis tick, alert review, evidence purge.

`analyse_camera_tick` is the heart: one frame of one camera → people per zone → each zone's persisted
alert state machine → per-minute history → (on "alert") a GatheringAlert with its evidence frame and a
case in the case loop. Each zone's step runs in one transaction with its state row locked, so a crash
loses nothing already raised, and a replayed or concurrent sample is ignored as stale (never a second
alert); the alert → case step carries an idempotency key per gathering on top of that.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import Role
from wangge.cases import services as cases
from wangge.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from wangge.core.models import Jurisdiction
from wangge.routing import services as routing

from . import alerts, zones
from .counting import Detection, TiledCounter, VisionError, default_counter
from .models import AlertStatus, Camera, CameraHealth, CameraKind, GatheringAlert, Zone, ZoneMinute, ZoneState
from .sources import FileSource, LiveSource, SourceError

log = logging.getLogger(__name__)

RECENT_SAMPLES = 240  # raw samples kept per zone for the evidence series (4 minutes at 1 frame/s)
SCHEMES = {
    CameraKind.RTSP: ("rtsp://", "rtsps://"),
    CameraKind.MJPEG: ("http://", "https://"),
    CameraKind.SNAPSHOT: ("http://", "https://"),
}


class CameraInvalid(ApplicationError):
    code = "camera_invalid"


def _setting(name: str, default):
    return getattr(settings, name, default)


def category_code() -> str:
    """Gathering alerts open their cases in 人员聚集 (SJ0808: 城管 leads, 派出所 joins) unless set otherwise."""
    return _setting("WANGGE_VISION_CATEGORY", "SJ0808")


def file_root() -> Path:
    return Path(_setting("WANGGE_VISION_FILE_ROOT", Path(settings.DATA_DIR) / "vision-files")).resolve()


# --- permissions ----------------------------------------------------------------------------------


def can_operate(user) -> bool:
    """The operations centre and administrators: the wall, every alert and its evidence."""
    return bool(user and user.is_authenticated and (user.is_superuser or user.role in (Role.OPERATOR, Role.ADMIN)))


def require_operator(user) -> None:
    if not can_operate(user):
        raise PermissionDenied(_("Only the operations centre and administrators work with cameras."))


def require_admin(user) -> None:
    if not (user and user.is_authenticated and user.is_territory_admin):
        raise PermissionDenied(_("Only administrators register cameras and draw zones."))


# --- cameras --------------------------------------------------------------------------------------


def _clean_stream(kind: str, url: str) -> str:
    url = (url or "").strip()
    if kind not in CameraKind.values:
        raise CameraInvalid(_("Unknown stream kind %(kind)r.") % {"kind": kind}, code="camera_bad_kind")
    if not url:
        raise CameraInvalid(_("Give the stream address."), code="camera_bad_url")
    if kind == CameraKind.FILE:
        root = file_root()
        path = Path(url)
        path = (path if path.is_absolute() else root / path).resolve()
        if not path.is_relative_to(root):
            raise CameraInvalid(_("Test video files must lie under %(root)s.") % {"root": root}, code="camera_bad_url")
        if not path.is_file():
            raise CameraInvalid(_("Video file not found: %(name)s") % {"name": path.name}, code="camera_bad_url")
        return str(path)
    schemes = SCHEMES[CameraKind(kind)]
    if not url.lower().startswith(schemes):
        raise CameraInvalid(
            _("A %(kind)s address must start with %(first)s or %(second)s.")
            % {"kind": CameraKind(kind).label, "first": schemes[0], "second": schemes[-1]},
            code="camera_bad_url",
        )
    return url[:500]


def _locate(jurisdiction: Jurisdiction, lon: float, lat: float, crs: str) -> tuple[float, float, int | None]:
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise CameraInvalid(_("The camera's position must be numbers."), code="camera_bad_location") from None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise CameraInvalid(_("The camera's position is not a valid longitude/latitude."), code="camera_bad_location")
    located = routing.locate_point(jurisdiction=jurisdiction, lon=lon, lat=lat, crs=crs)
    if not located["inside_jurisdiction"]:
        raise CameraInvalid(_("The camera is placed outside this jurisdiction."), code="outside_jurisdiction")
    grid = located["grid"]["id"] if located["grid"] else None
    return located["wgs84"]["lon"], located["wgs84"]["lat"], grid


def _check_fps(sample_fps) -> float:
    try:
        fps = float(sample_fps)
    except (TypeError, ValueError):
        fps = float("nan")
    if not (math.isfinite(fps) and 0 < fps <= 30):
        raise CameraInvalid(_("Sample between 0 and 30 frames per second."), code="camera_bad_rate")
    return fps


@transaction.atomic
def camera_register(
    *, jurisdiction: Jurisdiction, actor, name: str, lon: float, lat: float, kind: str, stream_url: str,
    crs: str = "wgs84", address: str = "", sample_fps: float = 1.0, active: bool = True,
) -> Camera:
    require_admin(actor)
    name = (name or "").strip()
    if not name:
        raise CameraInvalid(_("Give the camera a name."), code="camera_bad_name")
    if Camera.objects.filter(jurisdiction=jurisdiction, name=name).exists():
        raise Conflict(_("A camera named %(name)s already exists.") % {"name": name}, code="camera_name_taken")
    url = _clean_stream(kind, stream_url)
    fps = _check_fps(sample_fps)
    wlon, wlat, grid_id = _locate(jurisdiction, lon, lat, crs)
    camera = Camera(jurisdiction=jurisdiction, name=name[:80], lon=wlon, lat=wlat, grid_id=grid_id, kind=kind,
                    stream_url=url, sample_fps=fps, active=active, address=(address or "").strip()[:200])
    camera.full_clean(exclude=["last_frame"])
    camera.save()
    return camera


@transaction.atomic
def camera_update(
    *, camera: Camera, actor, name: str | None = None, lon: float | None = None, lat: float | None = None,
    crs: str = "wgs84", kind: str | None = None, stream_url: str | None = None, sample_fps: float | None = None,
    active: bool | None = None, address: str | None = None,
) -> Camera:
    require_admin(actor)
    camera = Camera.objects.select_for_update().get(pk=camera.pk)
    if name is not None:
        name = name.strip()
        if not name:
            raise CameraInvalid(_("Give the camera a name."), code="camera_bad_name")
        if Camera.objects.filter(jurisdiction_id=camera.jurisdiction_id, name=name).exclude(pk=camera.pk).exists():
            raise Conflict(_("A camera named %(name)s already exists.") % {"name": name}, code="camera_name_taken")
        camera.name = name[:80]
    if kind is not None or stream_url is not None:
        camera.kind = kind or camera.kind
        camera.stream_url = _clean_stream(camera.kind, stream_url if stream_url is not None else camera.stream_url)
    if lon is not None or lat is not None:
        camera.lon, camera.lat, camera.grid_id = _locate(
            camera.jurisdiction, camera.lon if lon is None else lon, camera.lat if lat is None else lat, crs)
    if sample_fps is not None:
        camera.sample_fps = _check_fps(sample_fps)
    if active is not None:
        camera.active = bool(active)
    if address is not None:
        camera.address = address.strip()[:200]
    camera.save()
    return camera


def open_source(camera: Camera, **options):
    if camera.kind == CameraKind.FILE:
        return FileSource(camera.stream_url, sample_fps=camera.sample_fps, **options)
    return LiveSource(camera.stream_url, kind=camera.kind, sample_fps=camera.sample_fps, **options)


def _jpeg(image: np.ndarray, quality: int = 85) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise VisionError("Could not encode the frame.", code="vision_bad_image")
    return buf.tobytes()


def _store_frame(camera: Camera, image: np.ndarray, at: datetime) -> None:
    old = camera.last_frame.name if camera.last_frame else ""
    camera.last_frame.save(f"camera-{camera.pk}.jpg", ContentFile(_jpeg(image)), save=False)
    if old and old != camera.last_frame.name:
        camera.last_frame.storage.delete(old)
    camera.last_frame_at = at
    camera.frame_height, camera.frame_width = int(image.shape[0]), int(image.shape[1])


def camera_health_set(*, camera: Camera, health: str, error: str = "", at: datetime | None = None) -> None:
    """A watcher's report on a stream (online / reconnecting / offline and the last error)."""
    at = at or timezone.now()
    Camera.objects.filter(pk=camera.pk).update(health=health, health_at=at, last_error=(error or "")[:300])
    camera.health, camera.health_at, camera.last_error = health, at, (error or "")[:300]


def camera_snapshot(*, camera: Camera, actor, source=None) -> Camera:
    """Read one frame now and keep it as the camera's picture (zones are drawn on it)."""
    require_operator(actor)
    try:
        src = source or open_source(camera)
    except SourceError as exc:
        camera_health_set(camera=camera, health=CameraHealth.OFFLINE, error=exc.message)
        raise ApplicationError(_("No picture from %(camera)s: %(error)s") % {"camera": camera.name, "error": exc.message},
                               code="snapshot_failed") from exc
    try:
        frame = src.read()
    finally:
        src.close()
    if frame is None:
        error = getattr(src, "last_error", "") or "the stream gave no frame"
        camera_health_set(camera=camera, health=getattr(src, "health", CameraHealth.RECONNECTING), error=error)
        raise ApplicationError(_("No picture from %(camera)s: %(error)s") % {"camera": camera.name, "error": error},
                               code="snapshot_failed")
    now = timezone.now()
    with transaction.atomic():
        camera = Camera.objects.select_for_update().get(pk=camera.pk)
        _store_frame(camera, frame.image, now)
        camera.health, camera.health_at, camera.last_error = CameraHealth.ONLINE, now, ""
        camera.save()
    return camera


# --- zones ----------------------------------------------------------------------------------------


def _time(value) -> time | None:
    if value in (None, ""):
        return None
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise alerts.AlertRuleInvalid(_("%(value)r is not a time of day (HH:MM).") % {"value": value},
                                      code="alert_rule_invalid") from None


def _int(value, label: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise alerts.AlertRuleInvalid(_("%(label)s must be a whole number.") % {"label": label}) from None
    if number < 0:
        raise alerts.AlertRuleInvalid(_("%(label)s cannot be negative.") % {"label": label})
    return number


def rule_of(zone: Zone) -> alerts.AlertRule:
    return alerts.AlertRule(
        alert_level=zone.alert_level, clear_level=zone.clear_level, hold_seconds=zone.hold_seconds,
        window_seconds=zone.window_seconds, cooldown_seconds=zone.cooldown_seconds,
        active_from=zone.active_from, active_until=zone.active_until,
    )


@transaction.atomic
def zone_save(
    *, camera: Camera, actor, name: str, polygon, alert_level, clear_level, hold_seconds=60, cooldown_seconds=600,
    window_seconds=30, active_from=None, active_until=None, active: bool = True, zone: Zone | None = None,
) -> Zone:
    """Create (zone=None) or change a zone. The polygon is checked against the camera's picture size."""
    require_admin(actor)
    name = (name or "").strip()
    if not name:
        raise zones.ZoneInvalid(_("Give the zone a name."), code="zone_bad_name")
    if not (camera.frame_width and camera.frame_height):
        raise zones.ZoneInvalid(_("Take a snapshot of the camera first: zones are drawn on its picture."),
                                code="zone_no_snapshot")
    if not isinstance(polygon, (list, tuple)):
        raise zones.ZoneInvalid(_("The zone must be a list of [x, y] points."), code="zone_bad_point")
    poly = zones.zone_polygon(polygon, width=camera.frame_width, height=camera.frame_height)
    rule = alerts.AlertRule(
        alert_level=_int(alert_level, _("The alert level")), clear_level=_int(clear_level, _("The clear level")),
        hold_seconds=_int(hold_seconds, _("The hold time")), cooldown_seconds=_int(cooldown_seconds, _("The cool-down")),
        window_seconds=_int(window_seconds, _("The window")) or 0.0, active_from=_time(active_from),
        active_until=_time(active_until),
    )
    if Zone.objects.filter(camera=camera, name=name).exclude(pk=getattr(zone, "pk", None)).exists():
        raise Conflict(_("This camera already has a zone named %(name)s.") % {"name": name}, code="zone_name_taken")
    target = Zone.objects.select_for_update().get(pk=zone.pk, camera=camera) if zone else Zone(camera=camera)
    target.name = name[:60]
    target.polygon = [[round(x, 1), round(y, 1)] for x, y in poly.exterior.coords[:-1]]
    target.alert_level, target.clear_level = rule.alert_level, rule.clear_level
    target.hold_seconds, target.cooldown_seconds = int(rule.hold_seconds), int(rule.cooldown_seconds)
    target.window_seconds = int(rule.window_seconds)
    target.active_from, target.active_until, target.active = rule.active_from, rule.active_until, bool(active)
    target.save()
    return target


@transaction.atomic
def zone_delete(*, zone: Zone, actor) -> None:
    require_admin(actor)
    zone.delete()


# --- evidence -------------------------------------------------------------------------------------


def blur_people(image: np.ndarray, detections) -> np.ndarray:
    """Blur the head (top fifth, at least 6 px) of every detected person: faces unreadable, scene kept."""
    import cv2

    out = image.copy()
    h, w = out.shape[:2]
    for d in detections:
        x1, y1 = max(0, int(d.x1)), max(0, int(d.y1))
        x2 = min(w, int(math.ceil(d.x2)))
        y2 = min(h, int(math.ceil(d.y1 + max(6.0, (d.y2 - d.y1) / 5.0))))
        if x2 - x1 < 2 or y2 - y1 < 2:
            continue
        k = max(3, ((max(x2 - x1, y2 - y1) // 2) | 1))
        out[y1:y2, x1:x2] = cv2.GaussianBlur(out[y1:y2, x1:x2], (k, k), 0)
    return out


def evidence_image(image: np.ndarray, zone: Zone, detections) -> bytes:
    """The frame with the zone outline and the counted people drawn (heads blurred when set)."""
    import cv2

    out = blur_people(image, detections) if _setting("WANGGE_VISION_BLUR_FACES", True) else image.copy()
    pts = np.array(zone.polygon, dtype=np.int32).reshape(-1, 1, 2)
    cv2.polylines(out, [pts], isClosed=True, color=(0, 200, 255), thickness=2)
    for d in detections:
        cv2.rectangle(out, (int(d.x1), int(d.y1)), (int(d.x2), int(d.y2)), (0, 0, 255), 2)
    return _jpeg(out, 90)


# --- the analysis tick ----------------------------------------------------------------------------


def _dump_state(s: alerts.ZoneAlertState) -> dict:
    iso = lambda t: t.isoformat() if t else None  # noqa: E731
    return {"samples": [[t.isoformat(), c] for t, c in s.samples], "above_since": iso(s.above_since),
            "alerting": s.alerting, "alerted_at": iso(s.alerted_at), "cleared_at": iso(s.cleared_at)}


def _load_state(d: dict) -> alerts.ZoneAlertState:
    if not d:
        return alerts.ZoneAlertState()
    t = lambda v: datetime.fromisoformat(v) if v else None  # noqa: E731
    return alerts.ZoneAlertState(
        samples=tuple((datetime.fromisoformat(a), int(c)) for a, c in d.get("samples", [])),
        above_since=t(d.get("above_since")), alerting=bool(d.get("alerting")), alerted_at=t(d.get("alerted_at")),
        cleared_at=t(d.get("cleared_at")),
    )


@dataclass(frozen=True)
class ZoneTick:
    zone_id: int
    count: int
    robust_count: int
    event: str | None
    alert_id: int | None = None


def analyse_camera_tick(
    *, camera: Camera, image: np.ndarray, at: datetime, counter: TiledCounter | None = None
) -> list[ZoneTick]:
    """One sampled frame of one camera: count people in each active zone, step each zone's alert state
    (persisted), record the minute's peak, raise alerts (→ cases) and clear them. Frames of a camera must
    come in time order; a sample not newer than the last one a zone saw is ignored (replay-safe)."""
    if at.tzinfo is None:
        raise ValueError("tick times must be timezone-aware")
    if image is None or getattr(image, "ndim", 0) != 3 or image.shape[2] != 3 or image.size == 0:
        raise VisionError("Expected a colour image (height × width × 3).", code="vision_bad_image")
    counter = counter or default_counter()
    found = counter.detect(image)  # the slow part: outside any transaction
    frame_every = float(_setting("WANGGE_VISION_FRAME_SECONDS", 5))
    with transaction.atomic():
        cam = Camera.objects.select_for_update().get(pk=camera.pk)
        h, w = image.shape[:2]
        if cam.last_frame_at is None or (at - cam.last_frame_at).total_seconds() >= frame_every or \
                (cam.frame_width, cam.frame_height) != (w, h):
            _store_frame(cam, image, at)
        cam.health, cam.health_at, cam.last_error = CameraHealth.ONLINE, at, ""
        cam.save()
    results = []
    for zone in camera.zones.filter(active=True).order_by("pk"):
        try:
            poly = zones.zone_polygon(zone.polygon, width=w, height=h)
        except zones.ZoneInvalid as exc:  # the camera's picture changed size under the zone
            log.warning("zone %s skipped: %s", zone.pk, exc.message)
            continue
        inside = [d for d in found if zones.contains(poly, *d.foot)]
        results.append(_zone_step(zone=zone, camera=camera, image=image, at=at, detections=inside))
    return results


@transaction.atomic
def _zone_step(*, zone: Zone, camera: Camera, image: np.ndarray, at: datetime, detections: list[Detection]) -> ZoneTick:
    ZoneState.objects.get_or_create(zone=zone)
    row = ZoneState.objects.select_for_update().get(pk=zone.pk)
    count = len(detections)
    decision = alerts.alert_step(rule_of(zone), _load_state(row.state), at=at, count=count)
    if decision.reason == "stale sample":
        return ZoneTick(zone.pk, count, decision.robust_count, None)
    row.state = _dump_state(decision.state)
    row.recent = ([*row.recent, [at.isoformat(), count]])[-RECENT_SAMPLES:]
    row.last_count, row.robust_count, row.last_sample_at = count, decision.robust_count, at
    minute = at.replace(second=0, microsecond=0)
    history, created = ZoneMinute.objects.select_for_update().get_or_create(
        zone=zone, minute=minute, defaults={"peak": count})
    if not created:
        history.peak, history.samples = max(history.peak, count), history.samples + 1
        history.save(update_fields=["peak", "samples"])
    alert_id = None
    if decision.event == "alert":
        alert = _raise_alert(zone=zone, camera=camera, image=image, at=at, detections=detections,
                             started_at=decision.state.above_since or at, counts=row.recent)
        row.open_alert, alert_id = alert, alert.pk
    elif row.open_alert_id:
        alert = GatheringAlert.objects.select_for_update().get(pk=row.open_alert_id)
        alert.counts = [*alert.counts, [at.isoformat(), count]][-2000:]
        alert.peak = max(alert.peak, count)
        if decision.event == "clear":
            alert.cleared_at = at
            row.open_alert = None
        alert.save(update_fields=["counts", "peak", "cleared_at"])
        alert_id = alert.pk
    row.save()
    return ZoneTick(zone.pk, count, decision.robust_count, decision.event, alert_id)


def _raise_alert(*, zone, camera, image, at, detections, started_at, counts) -> GatheringAlert:
    alert, created = GatheringAlert.objects.get_or_create(
        zone=zone, started_at=started_at,
        defaults={"camera": camera, "raised_at": at,
                  "peak": max([c for t, c in counts if datetime.fromisoformat(t) >= started_at] + [len(detections)]),
                  "alert_level": zone.alert_level, "counts": list(counts),
                  "detections": [[round(d.x1, 1), round(d.y1, 1), round(d.x2, 1), round(d.y2, 1), round(d.score, 3)]
                                 for d in detections]},
    )
    if created:
        alert.evidence.save(f"alert-{alert.pk}.jpg", ContentFile(evidence_image(image, zone, detections)), save=True)
    if alert.case_id is None:
        alert_open_case(alert=alert)
    return alert


def alert_open_case(*, alert: GatheringAlert) -> GatheringAlert:
    """The alert → case step, idempotent by the gathering's key. A failure (e.g. the category is missing)
    is kept on the alert and retried later (`alerts_retry_cases`); the alert itself is never lost."""
    camera, zone = alert.camera, alert.zone
    local = timezone.localtime(alert.started_at)
    description = (f"视频告警：{camera.name}「{zone.name}」人员聚集，{alert.peak} 人"
                   f"（告警线 {alert.alert_level} 人，持续 {zone.hold_seconds} 秒起），开始于 {local:%Y-%m-%d %H:%M:%S}。")
    try:
        with transaction.atomic():
            case, _new = cases.case_report(
                jurisdiction=camera.jurisdiction, actor=None, channel="video", category_code=category_code(),
                description=description, lon=camera.lon, lat=camera.lat, address=camera.address or camera.name,
                idempotency_key=alert.key,
            )
    except ApplicationError as exc:
        log.warning("vision alert %s: no case yet: %s", alert.pk, exc.message)
        alert.case_error = exc.message[:300]
        alert.save(update_fields=["case_error"])
        return alert
    alert.case, alert.case_error = case, ""
    alert.save(update_fields=["case", "case_error"])
    return alert


def alerts_retry_cases() -> int:
    """Open the cases that failed to open when their alerts were raised. Returns how many opened."""
    opened = 0
    for alert in GatheringAlert.objects.filter(case__isnull=True, status=AlertStatus.OPEN).select_related("camera__jurisdiction", "zone"):
        with transaction.atomic():
            locked = GatheringAlert.objects.select_for_update(of=("self",)).select_related("camera__jurisdiction", "zone").get(pk=alert.pk)
            if locked.case_id is None:
                opened += alert_open_case(alert=locked).case_id is not None
    return opened


# --- review ---------------------------------------------------------------------------------------


def _decidable(alert: GatheringAlert, actor) -> GatheringAlert:
    require_operator(actor)
    locked = GatheringAlert.objects.select_for_update(of=("self",)).select_related("case", "camera__jurisdiction", "zone").get(pk=alert.pk)
    if locked.status != AlertStatus.OPEN:
        raise Conflict(_("This alert was already reviewed (%(status)s).") % {"status": locked.get_status_display()},
                       code="alert_reviewed")
    if actor.jurisdiction_id not in (None, locked.camera.jurisdiction_id) and not actor.is_superuser:
        raise NotFound(_("No such alert."))
    return locked


@transaction.atomic
def alert_confirm(*, alert: GatheringAlert, actor, department_id: int | None = None, note: str = "") -> GatheringAlert:
    """A real gathering: the case is accepted (立案) and, with a department, dispatched (城管 / 派出所)."""
    alert = _decidable(alert, actor)
    if alert.case_id is None:
        alert_open_case(alert=alert)
        if alert.case_id is None:
            raise Conflict(_("The case for this alert could not be opened: %(error)s") % {"error": alert.case_error},
                           code="alert_no_case")
    case = alert.case
    if case.state == "reported":
        cases.case_act(case_id=case.pk, actor=actor, action="accept", reason=note)
    if department_id is not None:
        cases.case_act(case_id=case.pk, actor=actor, action="dispatch", payload={"lead_department_id": department_id})
    alert.status, alert.decided_by, alert.decided_at = AlertStatus.CONFIRMED, actor, timezone.now()
    alert.note = (note or "").strip()[:2000]
    alert.save(update_fields=["status", "decided_by", "decided_at", "note"])
    return alert


@transaction.atomic
def alert_dismiss(*, alert: GatheringAlert, actor, reason: str) -> GatheringAlert:
    """A false alarm: the case is rejected (不予立案); the alert stays as a labelled example for the camera."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say why this is a false alarm."), code="reason_required")
    alert = _decidable(alert, actor)
    if alert.case_id is not None and alert.case.state == "reported":
        cases.case_act(case_id=alert.case_id, actor=actor, action="reject", reason=f"视频误报：{reason}")
    alert.status, alert.decided_by, alert.decided_at = AlertStatus.DISMISSED, actor, timezone.now()
    alert.note = reason[:2000]
    alert.save(update_fields=["status", "decided_by", "decided_at", "note"])
    return alert


# --- retention ------------------------------------------------------------------------------------


def vision_purge(*, now: datetime | None = None) -> dict:
    """Delete evidence frames and minute counts older than their retention (settings
    WANGGE_VISION_EVIDENCE_DAYS, default 30; WANGGE_VISION_HISTORY_DAYS, default 180). Alert rows stay
    (status, counts, boxes: the labelled examples), without their picture."""
    now = now or timezone.now()
    evidence_cutoff = now - timedelta(days=float(_setting("WANGGE_VISION_EVIDENCE_DAYS", 30)))
    history_cutoff = now - timedelta(days=float(_setting("WANGGE_VISION_HISTORY_DAYS", 180)))
    purged = 0
    for alert in GatheringAlert.objects.filter(raised_at__lt=evidence_cutoff, evidence_purged=False).only("pk", "evidence"):
        if alert.evidence:
            alert.evidence.storage.delete(alert.evidence.name)
        GatheringAlert.objects.filter(pk=alert.pk).update(evidence="", evidence_purged=True)
        purged += 1
    minutes, _per_model = ZoneMinute.objects.filter(minute__lt=history_cutoff).delete()
    return {"evidence": purged, "minutes": minutes}
