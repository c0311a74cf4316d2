"""Cases (工单/案件), their categories, the append-only event log, departments, attachments, notifications."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.accounts.models import Role
from wangge.cases.workflow import State
from wangge.core.models import Jurisdiction
from wangge.grids.models import Department, DepartmentKind, Grid


class CategoryKind(models.TextChoices):
    COMPONENT = "component", _("Component (部件)")
    EVENT = "event", _("Event (事件)")


class Size(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediate (即办件)")
    COMMITTED = "committed", _("Committed (承诺件)")
    COORDINATED = "coordinated", _("Coordinated (协调件)")


class Channel(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    RIDER = "rider", _("Delivery rider")
    PATROL = "patrol", _("Grid patrol")
    HOTLINE = "hotline", _("12345 hotline")
    OPEN311 = "open311", _("Open311 client")
    VIDEO = "video", _("Video alert")
    OPERATOR = "operator", _("Operations centre")
    MEETING = "meeting", _("Deliberation meeting")


class Category(models.Model):
    """Two-level classification (大类/小类). Time limits are working hours per stage."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="categories")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=CategoryKind.choices)
    department_kind = models.CharField(max_length=32, choices=DepartmentKind.choices, blank=True)
    size = models.CharField(max_length=12, choices=Size.choices, default=Size.COMMITTED)
    sign_hours = models.FloatField(default=2)
    handle_hours = models.FloatField(default=24)
    verify_hours = models.FloatField(default=8)
    keywords = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "code"], name="category_code_unique"),
            models.CheckConstraint(condition=models.Q(sign_hours__gt=0, handle_hours__gt=0, verify_hours__gt=0),
                                   name="category_limits_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


# The stage whose clock is running, as the case page names it next to the deadline.
SLA_STAGE_LABELS = {"sign": _("signing for"), "handle": _("handling"), "verify": _("verification")}
RATING_LABELS = {"satisfied": _("Satisfied"), "basically_satisfied": _("Basically satisfied"),
                 "unsatisfied": _("Unsatisfied")}


def actor_display(label: str) -> str:
    """An event's stored actor label for people to read, in the reader's language: the sweep, routing and other jobs
    act as "system"; a person is stored as "name (role code)" and shown with the role's name. Labels stored before
    role codes ("name (角色)") are shown as written."""
    if label == "system":
        return str(_("the system"))
    name, sep, role = label.rpartition(" (")
    if sep and role.endswith(")") and role[:-1] in Role.values:
        return f"{name} ({Role(role[:-1]).label})"
    return label


class Case(models.Model):
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="cases")
    code = models.CharField(_("code"), max_length=32)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="cases")
    description = models.TextField(_("description"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField()
    lat = models.FloatField()
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    units = models.JSONField(default=dict, blank=True, help_text="layer code → unit code at the case's location")
    priority = models.PositiveSmallIntegerField(default=2, help_text="1 urgent … 3 low")
    reporter_name = models.CharField(max_length=50, blank=True)
    reporter_phone = models.CharField(max_length=32, blank=True)
    reporter_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)  # noqa: DJ001 - NULL: no key, unique when set
    tracking_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    # Derived from the event log (workflow.Snapshot); written only by services.case_act.
    state = models.CharField(_("state"), max_length=12, choices=State.choices, db_index=True)
    is_open = models.BooleanField(default=True, help_text="state is one of the open states (derived, for the queue index)")
    version = models.PositiveIntegerField(default=0)
    size = models.CharField(max_length=12, choices=Size.choices, default=Size.COMMITTED)
    joint = models.BooleanField(default=False)
    lead_department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="lead_cases")
    assisting_ids = models.JSONField(default=list, blank=True)
    # Routing's proposal for the lead department (属地/属主 rules); the operator dispatches, routing only suggests.
    suggested_department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assist_done_ids = models.JSONField(default=list, blank=True)
    rework_count = models.PositiveIntegerField(default=0)
    shelved = models.BooleanField(default=False)
    extension_pending = models.BooleanField(default=False)
    shelve_pending = models.BooleanField(default=False)
    extension_hours = models.FloatField(default=0)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases")
    duplicates = models.PositiveIntegerField(default=0)
    supervisions = models.PositiveIntegerField(default=0)
    rating = models.CharField(max_length=20, blank=True)
    sla_status = models.CharField(max_length=8, default="ok", db_index=True)
    verified_once = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    # The running SLA clock of the current stage (sign / handle / verify), in working time.
    sla_stage = models.CharField(max_length=8, blank=True)
    sla_started_at = models.DateTimeField(null=True, blank=True)
    sla_limit_seconds = models.FloatField(default=0)
    sla_paused_seconds = models.FloatField(default=0)
    sla_paused_since = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deadline_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "code"], name="case_code_unique"),
            models.UniqueConstraint(fields=["jurisdiction", "idempotency_key"], name="case_idempotency_unique",
                                    condition=models.Q(idempotency_key__isnull=False)),
            models.CheckConstraint(condition=~models.Q(state="closed", verified_once=False), name="closed_case_was_verified"),
            models.CheckConstraint(condition=models.Q(lon__gte=-180, lon__lte=180, lat__gte=-90, lat__lte=90), name="case_lonlat_range"),
        ]
        indexes = [
            # The queue: newest first, all cases or open ones, without sorting the table.
            models.Index(fields=["jurisdiction", "-created_at", "-id"], name="case_queue_all"),
            models.Index(fields=["jurisdiction", "is_open", "-created_at", "-id"], name="case_queue_open"),
            models.Index(fields=["jurisdiction", "deadline_at"], name="case_queue_overdue"),
            models.Index(fields=["jurisdiction", "warn_at"], name="case_queue_soon"),
            models.Index(fields=["jurisdiction", "state", "-created_at"]),
            models.Index(fields=["jurisdiction", "lead_department", "state"]),
            models.Index(fields=["jurisdiction", "grid", "state"]),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def sla_stage_label(self) -> str:
        return str(SLA_STAGE_LABELS.get(self.sla_stage, self.sla_stage))

    @property
    def rating_label(self) -> str:
        return str(RATING_LABELS.get(self.rating, self.rating))


class CaseEvent(models.Model):
    """Append-only: the truth about a case. Never updated or deleted; fixes are new events."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=24)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=100)
    at = models.DateTimeField()
    reason = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    correlation_id = models.UUIDField(default=uuid.uuid4)

    class Meta:
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="event_seq_unique")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.action}"


class AttachmentKind(models.TextChoices):
    REPORT = "report", _("Report photo")
    BEFORE = "before", _("Before handling")
    AFTER = "after", _("After handling")
    VERIFY = "verify", _("Verification photo")


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    kind = models.CharField(max_length=8, choices=AttachmentKind.choices)
    file = models.FileField(upload_to="cases/%Y/%m/")
    content_type = models.CharField(max_length=40)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=24)
    message = models.CharField(max_length=300)  # as texted: in the street's language
    # What the message was made of, to show it in the reader's language (notify.render): for a case's action
    # {"actor", "reason"}; for a notice without a case {"template" (an untranslated msgid), "args"}.
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    sent_via = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.message}"


class CaseCounter(models.Model):
    """Per jurisdiction and day, the last case number handed out (codes like 20261125-0007)."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "day"], name="case_counter_unique")]

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class CaseDepartment(models.Model):
    """Departments a case has been dispatched to (lead or assisting), kept after they hand it back:
    the department inbox and scoping read this table. Derived from dispatch/reassign/return events."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="case_parties")
    role = models.CharField(max_length=10)  # lead / assisting
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "department"], name="case_party_unique")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.department_id} {self.role}"
