from django.contrib import admin

from wangge.grids.models import (
    Department,
    Grid,
    GridAssignment,
    ImportBatch,
    Layer,
    LayerUnit,
    MergeRun,
    Person,
)


class ReadOnlyGeometryAdmin(admin.ModelAdmin):
    """Geometry is changed through imports (validated, diffed, merged), never by hand in the admin."""

    readonly_fields = ("geometry", "min_lon", "min_lat", "max_lon", "max_lat", "area_m2")

    def has_add_permission(self, request):
        return False


@admin.register(Grid)
class GridAdmin(ReadOnlyGeometryAdmin):
    list_display = ("code", "name", "kind", "area_m2", "jurisdiction")
    list_filter = ("jurisdiction", "kind")
    search_fields = ("code", "name")


@admin.register(LayerUnit)
class LayerUnitAdmin(ReadOnlyGeometryAdmin):
    list_display = ("code", "name", "layer", "department", "area_m2")
    list_filter = ("layer",)
    search_fields = ("code", "name")


@admin.register(Layer)
class LayerAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "tiling", "department", "jurisdiction")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "jurisdiction")
    list_filter = ("kind",)


class AssignmentInline(admin.TabularInline):
    model = GridAssignment
    extra = 0
    autocomplete_fields = ("grid",)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("name", "title", "department", "user")
    search_fields = ("name",)
    inlines = [AssignmentInline]


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "layer_code", "filename", "status", "created_at")
    readonly_fields = [f.name for f in ImportBatch._meta.fields]
    exclude = ("features",)


@admin.register(MergeRun)
class MergeRunAdmin(admin.ModelAdmin):
    list_display = ("id", "jurisdiction", "computed_at", "duration_ms", "territory_version")
