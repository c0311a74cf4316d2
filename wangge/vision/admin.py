"""Read-only admin views: cameras and zones are registered and changed through the vision pages and API
(services validate location, stream and zone geometry); alerts are reviewed on the alert page."""

from django.contrib import admin

from .models import Camera, GatheringAlert, Zone


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Camera)
class CameraAdmin(ReadOnly):
    list_display = ["name", "jurisdiction", "grid", "kind", "health", "health_at", "active"]
    list_filter = ["health", "kind", "active"]
    search_fields = ["name", "address"]


@admin.register(Zone)
class ZoneAdmin(ReadOnly):
    list_display = ["name", "camera", "alert_level", "clear_level", "hold_seconds", "cooldown_seconds", "active"]


@admin.register(GatheringAlert)
class GatheringAlertAdmin(ReadOnly):
    list_display = ["camera", "zone", "started_at", "peak", "status", "case"]
    list_filter = ["status"]
    exclude = ["evidence"]  # evidence frames are served only through the scoped alert page
