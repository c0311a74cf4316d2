"""Territory: comprehensive grids, departmental layers and their units, departments, people.

Geometry is GeoJSON in WGS84 with bbox columns for coarse filters; shapely does the geometry work.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core.models import Jurisdiction


class BBoxGeometry(models.Model):
    geometry = models.JSONField(_("geometry"), help_text="GeoJSON Polygon/MultiPolygon, WGS84")
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    area_m2 = models.FloatField(_("area (m²)"))

    class Meta:
        abstract = True


class DepartmentKind(models.TextChoices):
    OPERATIONS = "operations", _("Operations centre")
    URBAN_MANAGEMENT = "urban_management", _("Urban management")
    POLICE = "police", _("Police")
    MARKET = "market", _("Market supervision")
    COMMUNITY = "community", _("Residents' committee")
    PROPERTY = "property", _("Property company")
    DISABLED = "disabled", _("Disabled persons' federation")
    UNION = "union", _("Trade union")
    PARTY = "party", _("Party service")
    OTHER = "other", _("Other")


class Department(models.Model):
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="departments")
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32, choices=DepartmentKind.choices, default=DepartmentKind.OTHER)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "code"], name="department_code_unique")]

    def __str__(self) -> str:
        return self.name


class GridKind(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    COMMERCIAL = "commercial", _("Commercial")
    MIXED = "mixed", _("Mixed")
    INDUSTRIAL = "industrial", _("Industrial")
    PUBLIC = "public", _("Public space")
    OTHER = "other", _("Other")


class Grid(BBoxGeometry):
    """A comprehensive grid (综合网格): the unit of territory and accountability."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="grids")
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=GridKind.choices, default=GridKind.MIXED)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "code"], name="grid_code_unique"),
            models.CheckConstraint(condition=models.Q(area_m2__gt=0), name="grid_area_positive"),
        ]
        indexes = [models.Index(fields=["jurisdiction", "min_lon", "max_lon", "min_lat", "max_lat"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LayerKind(models.TextChoices):
    POLICE = "police", _("Police grid (警格)")
    URBAN = "urban", _("Urban management grid")
    MARKET = "market", _("Market supervision grid")
    COMMUNITY = "community", _("Residential community (居委)")
    PARTY = "party", _("Party-building grid")
    PROPERTY = "property", _("Property compound")
    OTHER = "other", _("Other")


class Layer(models.Model):
    """A department's own division of the territory (多格合一 merges these onto the grids)."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="layers")
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=LayerKind.choices, default=LayerKind.OTHER)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="layers")
    # A tiling layer is expected to cover the whole territory; islands (property compounds) are not.
    tiling = models.BooleanField(_("covers the whole territory"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("layer")
        verbose_name_plural = _("layers")
        ordering = ["sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "code"], name="layer_code_unique")]

    def __str__(self) -> str:
        return self.name


class LayerUnit(BBoxGeometry):
    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="units")
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=100)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="units")
    properties = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("layer unit")
        verbose_name_plural = _("layer units")
        ordering = ["layer", "code"]
        constraints = [
            models.UniqueConstraint(fields=["layer", "code"], name="unit_code_unique"),
            models.CheckConstraint(condition=models.Q(area_m2__gt=0), name="unit_area_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Person(models.Model):
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="people")
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    title = models.CharField(_("title"), max_length=50, blank=True)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AssignmentRole(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker")
    LIAISON = "liaison", _("Liaison cadre")


class GridAssignment(models.Model):
    """Who is accountable for a grid. Also the scoping table: a grid worker sees these grids."""

    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="assignments")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(_("role"), max_length=20, choices=AssignmentRole.choices)

    class Meta:
        verbose_name = _("grid assignment")
        verbose_name_plural = _("grid assignments")
        constraints = [
            models.UniqueConstraint(fields=["grid", "person", "role"], name="assignment_unique"),
            # Exactly one liaison cadre per grid at most.
            models.UniqueConstraint(
                fields=["grid"], condition=models.Q(role="liaison"), name="one_liaison_per_grid"
            ),
        ]


class GridCoverage(models.Model):
    """多格合一 result: unit `unit` of layer `layer` covers `share` of grid `grid`'s area."""

    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="coverage")
    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="coverage")
    unit = models.ForeignKey(LayerUnit, on_delete=models.CASCADE, related_name="coverage")
    area_m2 = models.FloatField()
    share = models.FloatField()

    class Meta:
        ordering = ["layer__sort_order", "layer__code", "-share"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "unit"], name="coverage_unique"),
            models.CheckConstraint(condition=models.Q(share__gt=0, share__lte=1.000001), name="coverage_share_range"),
        ]


class MergeIssueKind(models.TextChoices):
    GAP = "gap", _("Gap: territory no grid covers")
    OVERLAP = "overlap", _("Overlap between grids")
    SLIVER = "sliver", _("Sliver")
    PARTIAL = "partial", _("Grid partly uncovered by a layer")
    OUTSIDE = "outside", _("Outside the jurisdiction")


class MergeIssue(models.Model):
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="merge_issues")
    kind = models.CharField(max_length=20, choices=MergeIssueKind.choices)
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.CASCADE, related_name="merge_issues")
    other_grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    layer = models.ForeignKey(Layer, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(LayerUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    area_m2 = models.FloatField()
    share = models.FloatField(null=True, blank=True)
    geometry = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "-area_m2"]


class MergeRun(models.Model):
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="merge_runs")
    territory_version = models.PositiveBigIntegerField()
    computed_at = models.DateTimeField(auto_now_add=True)
    duration_ms = models.PositiveIntegerField(default=0)
    stats = models.JSONField(default=dict)

    class Meta:
        ordering = ["-computed_at", "-id"]


class ImportKind(models.TextChoices):
    GRIDS = "grids", _("Comprehensive grids")
    LAYER = "layer", _("Departmental layer")


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("Previewed")
    COMMITTED = "committed", _("Committed")
    DISCARDED = "discarded", _("Discarded")


class ImportBatch(models.Model):
    """An uploaded GeoJSON file: validated and diffed first, written only on confirmation."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="imports")
    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    layer_code = models.CharField(max_length=64, blank=True)
    layer_name = models.CharField(max_length=100, blank=True)
    layer_kind = models.CharField(max_length=20, choices=LayerKind.choices, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    crs = models.CharField(max_length=10, default="wgs84")
    repaired = models.JSONField(default=list, blank=True)
    features = models.JSONField(help_text="validated features, WGS84")
    diff = models.JSONField(default=dict)
    base_version = models.PositiveBigIntegerField(help_text="territory version the diff was computed against")
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="layer") | ~models.Q(layer_code=""), name="layer_import_has_layer_code"
            )
        ]


class Address(models.Model):
    """One entry of the address gazetteer (门牌): a road, a house number and/or a lane (弄) with its sub-lane
    (支弄) and building, and where it is (WGS84). Routing geocodes free-text addresses against these rows."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="addresses")
    road = models.CharField(_("road"), max_length=60, help_text="路/街/道/弄堂 name, e.g. 长寿路")
    number = models.CharField(_("number (号)"), max_length=20, blank=True, help_text='e.g. "123" or "123-1"')
    lane = models.CharField(_("lane (弄)"), max_length=20, blank=True)
    sub_lane = models.CharField(_("sub-lane (支弄)"), max_length=20, blank=True)
    building = models.CharField(_("building (号楼/幢)"), max_length=20, blank=True)
    full_text = models.CharField(_("address"), max_length=200)
    lon = models.FloatField()
    lat = models.FloatField()
    # road|lane|sub_lane|number|building after normalisation: one row per place.
    key = models.CharField(max_length=160)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["road", "id"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "key"], name="address_key_unique"),
            models.CheckConstraint(condition=models.Q(lon__gte=-180, lon__lte=180, lat__gte=-90, lat__lte=90),
                                   name="address_lonlat_range"),
        ]
        indexes = [models.Index(fields=["jurisdiction", "road"], name="address_road")]

    def __str__(self) -> str:
        return self.full_text
