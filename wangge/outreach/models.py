"""Outreach to riders (暖新十条): the service catalogue with events and sign-ups, needs surveys and their
answers, the rider convention (《小哥公约》) and the riders who take part in community governance.

Personal data (names, phones) lives only in SignUp, ConventionSignOff and GovernanceRider; survey answers
carry none (a device hash, never the device key itself)."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core.models import Jurisdiction

# Survey codes avoid look-alike characters (0/O, 1/I/L): they are printed on posters and read from QR codes.
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def new_survey_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(8))


class ServiceKind(models.TextChoices):
    MEDICAL = "medical", _("Medical care (医靠)")
    COUNSELLING = "counselling", _("Counselling")
    COURSE = "course", _("Courses")
    SHOPPING = "shopping", _("Discounted shopping")
    INSURANCE = "insurance", _("Mutual-aid insurance")
    LEGAL = "legal", _("Legal aid")
    OTHER = "other", _("Other")


class Service(models.Model):
    """One entry of the street's 暖新十条 catalogue: what riders get, from whom, and how."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="outreach_services")
    kind = models.CharField(_("kind"), max_length=12, choices=ServiceKind.choices)
    title = models.CharField(_("service title"), max_length=100)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    provider = models.CharField(_("provider"), max_length=100, blank=True)
    how_to_use = models.TextField(_("how to use"), max_length=1000, blank=True)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["jurisdiction", "active", "order"], name="outreach_service_catalogue")]

    def __str__(self) -> str:
        return self.title


class Event(models.Model):
    """A session of a service (a free check-up, a course) with a fixed number of seats."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="events")
    title = models.CharField(_("event title"), max_length=100)
    place = models.CharField(_("place"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    signup_closes_at = models.DateTimeField(_("sign-up closes at"), null=True, blank=True,
                                            help_text=_("Empty: sign-up stays open until the event starts."))
    capacity = models.PositiveIntegerField(_("capacity"))
    # Seats taken, moved only by a conditional UPDATE (seats_taken < capacity): the last seat goes to one rider.
    seats_taken = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="outreach_event_capacity_positive"),
            models.CheckConstraint(condition=models.Q(seats_taken__lte=models.F("capacity")),
                                   name="outreach_event_seats_within_capacity"),
            models.CheckConstraint(condition=models.Q(ends_at__gte=models.F("starts_at")),
                                   name="outreach_event_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.seats_taken)


class SignUp(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="signups")
    name = models.CharField(_("full name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=11)
    # Hashed origin (IP or user) for the flood throttle; the IP itself is not stored.
    source_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["event", "phone"], name="outreach_signup_one_per_phone")]
        indexes = [models.Index(fields=["source_key", "created_at"], name="outreach_signup_source_recent")]

    def __str__(self) -> str:
        return f"{self.event_id}: {self.name}"


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Ended")


class Survey(models.Model):
    """A needs survey (需求调查). Questions are JSON, validated by services.questions_validate."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="outreach_surveys")
    code = models.CharField(_("code"), max_length=12, unique=True, default=new_survey_code)
    title = models.CharField(_("survey title"), max_length=100)
    intro = models.TextField(_("introduction"), max_length=2000, blank=True)
    questions = models.JSONField(_("questions"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT)
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(opens_at__isnull=True) | models.Q(closes_at__isnull=True)
                                   | models.Q(closes_at__gt=models.F("opens_at")), name="outreach_survey_window"),
        ]

    def __str__(self) -> str:
        return self.title


class SurveyResponse(models.Model):
    """One rider's answers. No personal data: the device is a keyed hash, the origin a hashed label."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    answers = models.JSONField(default=dict)
    device_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 - NULL: no device key
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)  # noqa: DJ001 - NULL: no key
    source_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "device_hash"], name="outreach_response_one_per_device",
                                    condition=models.Q(device_hash__isnull=False)),
            models.UniqueConstraint(fields=["survey", "idempotency_key"], name="outreach_response_idempotency",
                                    condition=models.Q(idempotency_key__isnull=False)),
        ]
        indexes = [models.Index(fields=["source_key", "created_at"], name="outreach_answer_source_recent")]

    def __str__(self) -> str:
        return f"{self.survey_id} #{self.pk}"


class ConventionVersion(models.Model):
    """One published text of the rider convention (《小哥公约》); the newest is the one in force."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="outreach_conventions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("convention title"), max_length=100)
    text = models.TextField(_("text"), max_length=20000)
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        verbose_name = _("convention version")
        verbose_name_plural = _("convention versions")
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "number"], name="outreach_convention_number")]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"


class ConventionSignOff(models.Model):
    """A rider's "I agree" to one version of the convention."""

    version = models.ForeignKey(ConventionVersion, on_delete=models.CASCADE, related_name="signoffs")
    name = models.CharField(_("full name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=11)
    source_key = models.CharField(max_length=64, blank=True)
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("convention sign-off")
        verbose_name_plural = _("convention sign-offs")
        constraints = [models.UniqueConstraint(fields=["version", "phone"], name="outreach_signoff_one_per_phone")]

    def __str__(self) -> str:
        return f"{self.version_id}: {self.name}"


class GovernanceRole(models.TextChoices):
    MOBILE_GRID_WORKER = "mobile_grid", _("Mobile grid worker (流动网格员)")
    VOLUNTEER = "volunteer", _("Volunteer")
    SAFETY_OFFICER = "safety", _("Road-safety monitor")
    OTHER = "other", _("Other")


class GovernanceRider(models.Model):
    """A rider who takes part in community governance (流动网格员, volunteer …)."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="outreach_riders")
    name = models.CharField(_("full name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=11)
    platform = models.CharField(_("platform"), max_length=30, blank=True)
    role = models.CharField(_("role"), max_length=12, choices=GovernanceRole.choices)
    active_since = models.DateField(_("active since"))
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("governance rider")
        verbose_name_plural = _("governance riders")
        ordering = ["-active", "active_since", "id"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "phone"], name="outreach_rider_one_per_phone")]

    def __str__(self) -> str:
        return self.name


class ExportLog(models.Model):
    """Who exported which personal data, when (an export of sign-ups or riders is always logged)."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    user_label = models.CharField(max_length=150)
    what = models.CharField(max_length=100)
    rows = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("export log entry")
        verbose_name_plural = _("export log")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_label}: {self.what} ({self.rows})"
