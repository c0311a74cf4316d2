"""Intake: every report from every channel, kept as received, with what routing made of it.

A report that routing settles becomes a case at once (or joins an open case as a duplicate); one it cannot
settle — no location, outside the street, unsure category — waits in the operators' triage queue with its
reasons. Nothing is dropped: the reporter follows the report by its tracking code either way.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.cases.models import Case, Category, Channel
from wangge.core.models import Jurisdiction
from wangge.grids.models import Department

# Tracking codes avoid look-alike characters (0/O, 1/I/L) so they can be read out over the phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


_CODES = len(CODE_ALPHABET) ** 8  # 31⁸ ≈ 8.5 × 10¹¹ codes, < 2⁴⁰


def new_tracking_code() -> str:
    """One of the 31⁸ codes, uniformly at random from the system's CSPRNG: 40 random bits read at once (not a read
    per character: imports draw a code per report), drawn again when past the last code (22 % of draws), then
    written in base 31."""
    while (n := int.from_bytes(secrets.token_bytes(5))) >= _CODES:
        pass
    chars = []
    for _i in range(8):
        n, r = divmod(n, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[r])
    return f"{''.join(chars[:4])}-{''.join(chars[4:])}"


class ReportStatus(models.TextChoices):
    TRIAGE = "triage", _("Awaiting triage")
    FILED = "filed", _("Filed as a case")
    JOINED = "joined", _("Joined an existing case")
    REJECTED = "rejected", _("Not accepted")


class TriageReason(models.TextChoices):
    UNLOCATED = "unlocated", _("Could not be located")
    OUTSIDE = "outside", _("Outside the jurisdiction")
    LOW_CONFIDENCE = "low_confidence", _("Category uncertain")
    DUPLICATE = "duplicate", _("Suspected duplicate")


class CategorySource(models.TextChoices):
    REPORTER = "reporter", _("Chosen by the reporter")
    CLASSIFIER = "classifier", _("Classified from the text")
    OPERATOR = "operator", _("Set by an operator")


class Report(models.Model):
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="reports")
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    tracking_code = models.CharField(_("tracking code"), max_length=9, unique=True, default=new_tracking_code)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)  # noqa: DJ001 - NULL: no key
    # sha256 of the content: the same report sent twice within seconds is one report.
    fingerprint = models.CharField(max_length=64)
    # Who sent it, hashed (IP, API token, user): floods from one source are throttled.
    source_key = models.CharField(max_length=64, blank=True)
    external_id = models.CharField(_("external id"), max_length=64, blank=True, help_text="e.g. the 12345 work-order number")

    description = models.TextField(_("description"))
    media_url = models.URLField(_("media URL"), max_length=500, blank=True, default="",
                                help_text="an http(s) link to a photo an Open311 client sent: a reference, never fetched")
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    location_source = models.CharField(max_length=12, blank=True)  # gps / pin / link / address / operator
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    category_confidence = models.FloatField(null=True, blank=True)
    category_source = models.CharField(max_length=12, choices=CategorySource.choices, blank=True)
    suggested_department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    reporter_name = models.CharField(max_length=50, blank=True)
    reporter_phone = models.CharField(max_length=32, blank=True)
    reporter_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_rider = models.BooleanField(_("delivery rider"), default=False)
    rider_platform = models.CharField(_("platform"), max_length=30, blank=True)
    rider_station = models.CharField(_("station"), max_length=60, blank=True)

    status = models.CharField(_("status"), max_length=10, choices=ReportStatus.choices)
    triage_reasons = models.JSONField(default=list, blank=True)
    routing = models.JSONField(default=dict, blank=True, help_text="what routing found: grid, units, alternatives, rule")
    duplicate_of = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    duplicate_score = models.FloatField(null=True, blank=True)
    # The case that carries this report: its own, or the open case it joined (并单).
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "idempotency_key"], name="report_idempotency_unique",
                                    condition=models.Q(idempotency_key__isnull=False)),
            models.CheckConstraint(condition=models.Q(lon__isnull=True, lat__isnull=True)
                                   | models.Q(lon__gte=-180, lon__lte=180, lat__gte=-90, lat__lte=90),
                                   name="report_lonlat_range"),
            models.CheckConstraint(condition=~models.Q(status="triage") | models.Q(resolved_at__isnull=True),
                                   name="report_triage_unresolved"),
        ]
        indexes = [
            models.Index(fields=["jurisdiction", "status", "-created_at"], name="report_triage_queue"),
            models.Index(fields=["jurisdiction", "source_key", "-created_at"], name="report_source_recent"),
            # The repeat check (same content within seconds): without it SQLite scans the street's reports.
            models.Index(fields=["jurisdiction", "fingerprint", "created_at"], name="report_fingerprint_recent"),
        ]

    def __str__(self) -> str:
        return self.tracking_code


class ReportPhoto(models.Model):
    """A report's photo, cleaned at upload; it becomes a case attachment when the report is filed."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="reports/%Y/%m/")
    content_type = models.CharField(max_length=40)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.report_id} {self.sha256[:12]}"


# 12345 hotline work orders and their imports (a module of their own; their migrations are intake's).
from wangge.intake.hotline_models import *  # noqa: E402,F403
