"""Cameras, their zones, each zone's persisted alert state, per-minute counts and gathering alerts.

The counter, frame sources and the alert state machine (counting.py, sources.py, alerts.py) are plain
modules without tables; services.py joins them to these rows."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core.models import Jurisdiction
from wangge.grids.models import Grid


class CameraKind(models.TextChoices):
    RTSP = "rtsp", _("RTSP stream")
    MJPEG = "mjpeg", _("HTTP MJPEG stream")
    SNAPSHOT = "snapshot", _("HTTP snapshot")
    FILE = "file", _("Video file (testing)")


class CameraHealth(models.TextChoices):
    ONLINE = "online", _("Online")
    RECONNECTING = "reconnecting", _("Reconnecting")
    OFFLINE = "offline", _("Offline")


class Camera(models.Model):
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="cameras")
    name = models.CharField(_("name"), max_length=80)
    lon = models.FloatField(help_text="WGS84")
    lat = models.FloatField(help_text="WGS84")
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="cameras")
    address = models.CharField(_("address"), max_length=200, blank=True)
    kind = models.CharField(_("stream kind"), max_length=10, choices=CameraKind.choices)
    stream_url = models.CharField(_("stream address"), max_length=500)
    sample_fps = models.FloatField(_("samples per second"), default=1.0)
    active = models.BooleanField(_("active"), default=True)
    health = models.CharField(max_length=12, choices=CameraHealth.choices, default=CameraHealth.RECONNECTING)
    health_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    last_frame = models.FileField(upload_to="vision/frames/", blank=True)
    last_frame_at = models.DateTimeField(null=True, blank=True)
    frame_width = models.PositiveIntegerField(default=0)
    frame_height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "name"], name="camera_name_unique"),
            models.CheckConstraint(condition=models.Q(sample_fps__gt=0, sample_fps__lte=30), name="camera_fps_range"),
            models.CheckConstraint(condition=models.Q(lon__gte=-180, lon__lte=180, lat__gte=-90, lat__lte=90),
                                   name="camera_lonlat_range"),
        ]

    def __str__(self) -> str:
        return self.name


class Zone(models.Model):
    """A polygon in the camera image (pixels, x right, y down) with its gathering rule."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="zones")
    name = models.CharField(_("name"), max_length=60)
    polygon = models.JSONField(help_text="[[x, y], ...] in image pixels")
    alert_level = models.PositiveIntegerField(_("alert at (people)"))
    clear_level = models.PositiveIntegerField(_("clear below (people)"))
    hold_seconds = models.PositiveIntegerField(_("for (seconds)"), default=60)
    window_seconds = models.PositiveIntegerField(default=30)
    cooldown_seconds = models.PositiveIntegerField(_("cool-down (seconds)"), default=600)
    active_from = models.TimeField(_("active from"), null=True, blank=True)
    active_until = models.TimeField(_("active until"), null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        ordering = ["camera", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["camera", "name"], name="zone_name_unique"),
            models.CheckConstraint(condition=models.Q(alert_level__gte=1, clear_level__lt=models.F("alert_level")),
                                   name="zone_clear_below_alert"),
            models.CheckConstraint(condition=models.Q(window_seconds__gt=0), name="zone_window_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.camera.name} / {self.name}"


class ZoneState(models.Model):
    """The alert state machine's state for one zone, saved with every sample (a restart resumes it)."""

    zone = models.OneToOneField(Zone, on_delete=models.CASCADE, related_name="state", primary_key=True)
    state = models.JSONField(default=dict)
    recent = models.JSONField(default=list, help_text="[[iso time, count], ...]: the last samples, for evidence")
    last_count = models.PositiveIntegerField(default=0)
    robust_count = models.PositiveIntegerField(default=0)
    last_sample_at = models.DateTimeField(null=True, blank=True)
    open_alert = models.ForeignKey("GatheringAlert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")


class ZoneMinute(models.Model):
    """Counting history: the peak count of one zone in one minute (hourly peaks are read from these)."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="minutes")
    minute = models.DateTimeField()
    peak = models.PositiveIntegerField()
    samples = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["zone", "minute"]
        constraints = [models.UniqueConstraint(fields=["zone", "minute"], name="zone_minute_unique")]


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Awaiting review")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("False alarm")


class GatheringAlert(models.Model):
    """One persisting gathering in one zone: unique per (zone, started_at), so replays never raise it twice."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="alerts")
    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="alerts")
    started_at = models.DateTimeField(help_text="first sample of the run at or above the alert level")
    raised_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    peak = models.PositiveIntegerField()
    alert_level = models.PositiveIntegerField()
    counts = models.JSONField(default=list, help_text="[[iso time, count], ...] up to the alert and while it lasts")
    detections = models.JSONField(default=list, help_text="[[x1, y1, x2, y2, score], ...] in the evidence frame")
    evidence = models.FileField(upload_to="vision/evidence/%Y/%m/", blank=True)
    evidence_purged = models.BooleanField(default=False)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="vision_alerts")
    case_error = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=AlertStatus.choices, default=AlertStatus.OPEN, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("gathering alert")
        verbose_name_plural = _("gathering alerts")
        ordering = ["-raised_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["zone", "started_at"], name="alert_once_per_gathering")]

    def __str__(self) -> str:
        return f"{self.zone} @ {self.started_at:%Y-%m-%d %H:%M:%S}"

    @property
    def key(self) -> str:
        """The case's idempotency key: one case per gathering, whoever retries."""
        return f"vision:{self.zone_id}:{int(self.started_at.timestamp() * 1000)}"
