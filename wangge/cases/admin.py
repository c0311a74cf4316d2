from django.contrib import admin

from wangge.cases.models import Case, CaseEvent, Category, Notification


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """The classification and its time limits are editable; cases keep the limits of their stage start."""

    list_display = ("code", "name", "parent", "kind", "department_kind", "size", "sign_hours", "handle_hours", "verify_hours", "active")
    list_filter = ("kind", "size", "department_kind", "active")
    search_fields = ("code", "name")
    list_editable = ("sign_hours", "handle_hours", "verify_hours", "active")


class EventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ("seq", "action", "from_state", "to_state", "actor_label", "at", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases change only through the loop's actions (the case page or the API)."""

    list_display = ("code", "state", "category", "grid", "lead_department", "sla_status", "created_at")
    list_filter = ("state", "sla_status", "channel")
    search_fields = ("code", "description", "address")
    inlines = [EventInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Case._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "message", "created_at", "read_at")
    readonly_fields = ("user", "case", "kind", "message", "created_at", "read_at", "sent_via")
