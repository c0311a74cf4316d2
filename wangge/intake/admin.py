"""Admin: a read view of the 12345 hotline imports and work orders. Imports are previewed, confirmed and
committed on the hotline page (services and jobs do the writing); here nothing is added, edited or deleted.
Callers' phones and names are masked: the full data is for the operators, on the hotline and case pages."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from wangge.core.admin import ReadOnlyAdmin as CoreReadOnlyAdmin
from wangge.core.privacy import mask_name, mask_phone
from wangge.intake.models import HotlineImport, HotlineImportRow, HotlineOrder


class ReadOnlyAdmin(CoreReadOnlyAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [*self.fields] if self.fields else super().get_readonly_fields(request, obj)


@admin.register(HotlineImport)
class HotlineImportAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "filename",
        "jurisdiction",
        "status",
        "progress_done",
        "progress_total",
        "created_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "jurisdiction", "file_format")
    list_select_related = ("jurisdiction", "created_by")
    search_fields = ("filename", "sha256")
    date_hierarchy = "created_at"
    # Not the uploaded file itself: it holds every caller's name and phone.
    fields = (
        "jurisdiction",
        "filename",
        "sha256",
        "size",
        "file_format",
        "encoding",
        "columns",
        "status",
        "progress_done",
        "progress_total",
        "counts",
        "error",
        "created_by",
        "created_at",
        "commit_requested_by",
        "commit_requested_at",
        "heartbeat_at",
        "finished_at",
    )


@admin.register(HotlineOrder)
class HotlineOrderAdmin(ReadOnlyAdmin):
    list_display = (
        "order_no",
        "jurisdiction",
        "called_at",
        "caller",
        "phone",
        "category_text",
        "due_at",
        "report",
        "updated_at",
    )
    list_filter = ("jurisdiction", "called_at", "due_at")
    list_select_related = ("jurisdiction", "report")
    search_fields = ("order_no",)
    date_hierarchy = "called_at"
    fields = (
        "jurisdiction",
        "order_no",
        "called_at",
        "caller",
        "phone",
        "category_text",
        "content",
        "address",
        "department_text",
        "due_at",
        "report",
        "last_import",
        "created_at",
        "updated_at",
    )

    @admin.display(description=_("caller"))
    def caller(self, obj: HotlineOrder) -> str:
        return mask_name(obj.caller_name)

    @admin.display(description=_("phone"))
    def phone(self, obj: HotlineOrder) -> str:
        return mask_phone(obj.caller_phone) if obj.caller_phone else ""


@admin.register(HotlineImportRow)
class HotlineImportRowAdmin(ReadOnlyAdmin):
    list_display = ("batch", "line", "order_no", "action", "done", "outcome")
    list_filter = ("action", "done", "outcome")
    list_select_related = ("batch",)
    search_fields = ("order_no",)
    # Not `data`: the row as parsed, with the caller's name and phone.
    fields = ("batch", "line", "order_no", "action", "errors", "notes", "done", "outcome", "order")
