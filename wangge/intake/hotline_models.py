"""12345 hotline work orders and their imports (imported at the end of intake/models.py).

An upload becomes a `HotlineImport`: a background job previews it (every row validated and classified as new,
update, unchanged or refused, kept as `HotlineImportRow`), then, once confirmed, a second job commits it chunk
by chunk (each chunk atomic; the rows record what is done, so a re-run finishes the rest). Each order is one
`HotlineOrder`, unique per jurisdiction by its number (工单编号); a new order goes through intake as a report.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core.models import Jurisdiction


class HotlineImportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for the preview")
    PREVIEWING = "previewing", _("Previewing")
    PREVIEWED = "previewed", _("Previewed: waiting for confirmation")
    COMMITTING = "committing", _("Importing")
    COMMITTED = "committed", _("Imported")
    FAILED = "failed", _("Failed")
    DISCARDED = "discarded", _("Discarded")


RUNNING_STATUSES = (HotlineImportStatus.QUEUED, HotlineImportStatus.PREVIEWING, HotlineImportStatus.COMMITTING)


class HotlineImport(models.Model):
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="hotline_imports")
    filename = models.CharField(_("file"), max_length=255)
    file = models.FileField(upload_to="hotline/%Y/%m/")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    file_format = models.CharField(max_length=8)
    encoding = models.CharField(max_length=20, blank=True)
    columns = models.JSONField(default=dict, blank=True, help_text="our field → the file's header")
    status = models.CharField(_("status"), max_length=12, choices=HotlineImportStatus.choices,
                              default=HotlineImportStatus.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    commit_requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                            related_name="+")
    commit_requested_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="the running job's last sign of life")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("12345 import")
        verbose_name_plural = _("12345 imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["jurisdiction", "-created_at"], name="hotline_import_recent")]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress_done__lte=models.F("progress_total")),
                                   name="hotline_import_progress_range"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.filename}"

    @property
    def running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def percent(self) -> int:
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0


class RowAction(models.TextChoices):
    CREATE = "create", _("New order")
    UPDATE = "update", _("Update")
    UNCHANGED = "unchanged", _("Unchanged")
    REFUSE = "refuse", _("Refused")


class HotlineOrder(models.Model):
    """A 12345 work order as the hotline sent it (the latest import wins), and the report it became."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="hotline_orders")
    order_no = models.CharField(_("order number"), max_length=64)
    called_at = models.DateTimeField(_("call time"), null=True, blank=True)
    caller_name = models.CharField(max_length=50, blank=True)
    caller_phone = models.CharField(max_length=32, blank=True)
    category_text = models.CharField(_("hotline category"), max_length=100, blank=True)
    content = models.TextField(_("content"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    department_text = models.CharField(_("hotline's handling unit"), max_length=100, blank=True)
    due_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    report = models.ForeignKey("intake.Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_import = models.ForeignKey(HotlineImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("12345 work order")
        verbose_name_plural = _("12345 work orders")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "order_no"], name="hotline_order_no_unique")]

    def __str__(self) -> str:
        return self.order_no


class HotlineImportRow(models.Model):
    """One data row of an import: what the preview decided, and (once committed) what happened."""

    batch = models.ForeignKey(HotlineImport, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField(help_text="row number in the file, as a spreadsheet shows it")
    order_no = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=10, choices=RowAction.choices)
    errors = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    data = models.JSONField(default=dict, blank=True)
    done = models.BooleanField(default=False)
    outcome = models.CharField(max_length=12, blank=True)
    order = models.ForeignKey(HotlineOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["batch", "line"]
        constraints = [models.UniqueConstraint(fields=["batch", "line"], name="hotline_row_line_unique")]
        indexes = [
            models.Index(fields=["batch", "done", "line"], name="hotline_row_todo"),
            models.Index(fields=["batch", "action", "line"], name="hotline_row_action"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line} {self.order_no}"
