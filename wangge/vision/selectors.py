"""Reads of the vision tables, scoped to the user: the live wall, cameras, alerts, counting history.

Who sees what: operators and administrators see every camera, frame and alert of their jurisdiction;
a department handler sees only the alerts (and their evidence) of cases their department handles;
everybody else sees nothing (403)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Max, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import Role
from wangge.cases.selectors import cases_visible_to
from wangge.core.errors import NotFound, PermissionDenied
from wangge.core.models import Jurisdiction

from .models import Camera, GatheringAlert, Zone, ZoneMinute
from .services import can_operate, require_operator

SHANGHAI = ZoneInfo("Asia/Shanghai")
SPARK_MINUTES = 60


def cameras_for(*, user, jurisdiction: Jurisdiction) -> QuerySet[Camera]:
    require_operator(user)
    return Camera.objects.filter(jurisdiction=jurisdiction).select_related("grid").order_by("name", "pk")


def camera_get_for_user(*, user, jurisdiction: Jurisdiction, camera_id: int) -> Camera:
    camera = cameras_for(user=user, jurisdiction=jurisdiction).filter(pk=camera_id).first()
    if camera is None:
        raise NotFound(_("Camera %(id)s not found.") % {"id": camera_id})
    return camera


def zone_get_for_user(*, user, jurisdiction: Jurisdiction, zone_id: int) -> Zone:
    require_operator(user)
    zone = Zone.objects.select_related("camera").filter(pk=zone_id, camera__jurisdiction=jurisdiction).first()
    if zone is None:
        raise NotFound(_("Zone %(id)s not found.") % {"id": zone_id})
    return zone


def may_see_alerts(user) -> bool:
    return can_operate(user) or (user.is_authenticated and user.role == Role.HANDLER)


def alerts_visible_to(*, user, jurisdiction: Jurisdiction) -> QuerySet[GatheringAlert]:
    qs = GatheringAlert.objects.filter(camera__jurisdiction=jurisdiction).select_related(
        "camera", "zone", "case", "decided_by")
    if can_operate(user):
        return qs
    if user.is_authenticated and user.role == Role.HANDLER:
        return qs.filter(case__in=cases_visible_to(user=user, jurisdiction=jurisdiction).values("pk"))
    raise PermissionDenied(_("Camera alerts are for the operations centre and the handling departments."))


def alert_get_for_user(*, user, jurisdiction: Jurisdiction, alert_id: int) -> GatheringAlert:
    alert = alerts_visible_to(user=user, jurisdiction=jurisdiction).filter(pk=alert_id).first()
    if alert is None:
        raise NotFound(_("Alert %(id)s not found.") % {"id": alert_id})
    return alert


def sparkline(values: list[int], *, width: int = 120, height: int = 28) -> str:
    """SVG polyline points for a series (0 at the bottom; the top is the series' maximum, at least 1)."""
    if not values:
        return ""
    top = max(1, max(values))
    step = width / max(1, len(values) - 1)
    return " ".join(f"{i * step:.1f},{height - v / top * (height - 2) - 1:.1f}" for i, v in enumerate(values))


def wall(*, user, jurisdiction: Jurisdiction, now: datetime | None = None) -> list[dict]:
    """Every camera with its zones' current counts and last hour's per-minute peaks (three queries)."""
    now = now or timezone.now()
    cameras = list(cameras_for(user=user, jurisdiction=jurisdiction).prefetch_related("zones__state"))
    since = (now - timedelta(minutes=SPARK_MINUTES)).replace(second=0, microsecond=0)
    zone_ids = [z.pk for c in cameras for z in c.zones.all()]
    peaks: dict[int, dict[datetime, int]] = {}
    for zone_id, minute, peak in ZoneMinute.objects.filter(zone_id__in=zone_ids, minute__gte=since).values_list(
            "zone_id", "minute", "peak"):
        peaks.setdefault(zone_id, {})[minute] = peak
    minutes = [since + timedelta(minutes=i) for i in range(SPARK_MINUTES + 1)]
    open_alerts = dict(GatheringAlert.objects.filter(zone_id__in=zone_ids, cleared_at__isnull=True, status="open")
                       .values_list("zone_id", "pk"))
    out = []
    for camera in cameras:
        zone_rows = []
        for zone in camera.zones.all():
            state = getattr(zone, "state", None)
            series = [peaks.get(zone.pk, {}).get(m, 0) for m in minutes]
            zone_rows.append({
                "zone": zone, "id": zone.pk, "name": zone.name, "polygon": zone.polygon,
                "points": " ".join(f"{x},{y}" for x, y in zone.polygon),
                "count": state.last_count if state else None, "robust": state.robust_count if state else None,
                "alerting": bool(state and state.open_alert_id), "open_alert_id": open_alerts.get(zone.pk),
                "alert_level": zone.alert_level, "series": series, "spark": sparkline(series),
                "last_sample_at": state.last_sample_at if state else None,
            })
        out.append({"camera": camera, "zones": zone_rows})
    return out


def zone_hourly_peaks(*, zone: Zone, since: datetime, until: datetime) -> list[dict]:
    """The highest count of each hour (Asia/Shanghai hours) that has samples."""
    rows = (ZoneMinute.objects.filter(zone=zone, minute__gte=since, minute__lt=until)
            .annotate(hour=TruncHour("minute", tzinfo=SHANGHAI)).values("hour")
            .annotate(peak=Max("peak")).order_by("hour"))
    return [{"hour": r["hour"].astimezone(SHANGHAI).isoformat(), "peak": r["peak"]} for r in rows]


def alert_chart(alert: GatheringAlert, *, width: int = 600, height: int = 160) -> dict:
    """The count over time as SVG polyline points, with the alert line."""
    values = [int(c) for _t, c in alert.counts]
    top = max([1, alert.alert_level, *values])
    step = width / max(1, len(values) - 1)
    y = lambda v: height - v / top * (height - 10) - 5  # noqa: E731
    return {
        "width": width, "height": height, "top": top,
        "points": " ".join(f"{i * step:.1f},{y(v):.1f}" for i, v in enumerate(values)),
        "alert_y": f"{y(alert.alert_level):.1f}",
        "first": alert.counts[0][0] if alert.counts else None, "last": alert.counts[-1][0] if alert.counts else None,
    }
