from django.contrib import admin

from wangge.stations.models import HoursException, OpeningHours, Pledge, Station, StationFeedback, StationHost


class HoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ExceptionInline(admin.TabularInline):
    model = HoursException
    extra = 0


class HostInline(admin.TabularInline):
    model = StationHost
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    """Hours are edited in the host console (validated there); the admin shows them for reference."""

    list_display = ("name", "jurisdiction", "kind", "host_type", "live_status", "active", "updated_at")
    list_filter = ("jurisdiction", "kind", "host_type", "live_status", "active")
    search_fields = ("name", "address")
    readonly_fields = ("lon", "lat", "grid", "amenities", "status_updated_at")
    inlines = [HostInline, HoursInline, ExceptionInline]

    def has_add_permission(self, request):
        return False  # opened through the console or the API, which locate it in its grid


@admin.register(Pledge)
class PledgeAdmin(admin.ModelAdmin):
    list_display = ("merchant", "kind", "valid_from", "valid_until", "signed_by_merchant", "followed_up_at",
                    "jurisdiction")
    list_filter = ("jurisdiction", "kind", "signed_by_merchant")
    search_fields = ("merchant", "text")
    readonly_fields = ("lon", "lat", "grid")

    def has_add_permission(self, request):
        return False  # recorded through the pledge page or the API, which check the place is in the street


@admin.register(StationFeedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("station", "kind", "rating", "created_at")
    list_filter = ("kind",)
    exclude = ("source_key",)
