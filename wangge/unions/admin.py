"""Administrators set up unions and who staffs them. Members are not in the admin: their personal data is
seen in full only by their union's staff, in the union console."""

from django.contrib import admin

from wangge.core.admin import ReadOnlyAdmin
from wangge.unions.models import ExportLog, Union, UnionStaff


class UnionStaffInline(admin.TabularInline):
    model = UnionStaff
    extra = 1
    autocomplete_fields = ("user",)


@admin.register(Union)
class UnionAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "active", "jurisdiction")
    list_filter = ("jurisdiction", "kind", "active")
    search_fields = ("name", "code")
    inlines = [UnionStaffInline]


@admin.register(ExportLog)
class ExportLogAdmin(ReadOnlyAdmin):
    """The audit trail of member exports: read only."""

    list_display = ("at", "union", "username", "rows")
    list_filter = ("union",)
    readonly_fields = ("union", "user", "username", "at", "rows", "filters")
