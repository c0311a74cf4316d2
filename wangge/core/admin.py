"""Admin helpers shared by the apps (the admin reads; services, pages and jobs write the domain tables)."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """A table shown in the admin for reference: nothing is added, edited or deleted there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
