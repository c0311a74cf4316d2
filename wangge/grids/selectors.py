"""Reads of the territory, scoped to the user asking."""

from __future__ import annotations

import json
import math

import numpy as np
import shapely
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from wangge.accounts.models import Role
from wangge.core.errors import ApplicationError, NotFound, PermissionDenied
from wangge.core.geo import load_shapes, to_geojson, to_shape
from wangge.core.models import Jurisdiction
from wangge.core.privacy import mask_phone
from wangge.grids.models import (
    AssignmentRole,
    Grid,
    GridAssignment,
    GridCoverage,
    ImportBatch,
    Layer,
    LayerUnit,
    MergeIssue,
    MergeRun,
)
from wangge.routing import coords


def jurisdiction_for_user(user, code: str | None = None) -> Jurisdiction:
    """The jurisdiction a request works in: the user's own; a superuser may pick any by code."""
    if code and user.is_superuser:
        jurisdiction = Jurisdiction.objects.filter(code=code).first()
    elif user.jurisdiction_id:
        if code and code != user.jurisdiction.code:
            raise PermissionDenied(_("You do not work in that jurisdiction."))
        jurisdiction = user.jurisdiction
    elif user.is_superuser:
        jurisdiction = Jurisdiction.objects.order_by("id").first()
    else:
        raise PermissionDenied(_("Your account is not attached to a jurisdiction."))
    if jurisdiction is None:
        raise NotFound(_("No jurisdiction has been set up yet."))
    return jurisdiction


def grids_visible_to(*, user, jurisdiction: Jurisdiction) -> QuerySet[Grid]:
    """Operators, leaders and admins see every grid; department handlers too (they work street-wide);
    a grid worker sees only the grids they are assigned to."""
    qs = Grid.objects.filter(jurisdiction=jurisdiction)
    if user.is_jurisdiction_wide or user.role == Role.HANDLER:
        return qs
    return qs.filter(assignments__person__user=user).distinct()


def can_see_personal_data(*, user, grid: Grid, person_department_id: int | None = None) -> bool:
    if user.is_jurisdiction_wide:
        return True
    if user.role == Role.GRID_WORKER:
        return GridAssignment.objects.filter(grid=grid, person__user=user).exists()
    person = getattr(user, "person", None)
    return bool(person and person_department_id and person.department_id == person_department_id)


def grid_get_for_user(*, user, jurisdiction: Jurisdiction, code: str) -> Grid:
    grid = Grid.objects.filter(jurisdiction=jurisdiction, code=code).first()
    if grid is None:
        raise NotFound(_("Grid %(code)s not found.") % {"code": code})
    if not grids_visible_to(user=user, jurisdiction=jurisdiction).filter(pk=grid.pk).exists():
        raise PermissionDenied(_("Grid %(code)s is outside your scope.") % {"code": code})
    return grid


def grid_card(*, user, grid: Grid) -> dict:
    """Everything the map card shows for one grid. Phones are masked outside the viewer's scope."""
    own = can_see_personal_data(user=user, grid=grid)
    own_department = getattr(getattr(user, "person", None), "department_id", None)
    people = {"grid_workers": [], "liaison": None}
    for a in grid.assignments.select_related("person__department").order_by("person__name"):
        p = a.person
        visible = own or (own_department is not None and p.department_id == own_department)
        entry = {
            "name": p.name, "title": p.title, "phone": p.phone if visible else mask_phone(p.phone),
            "phone_masked": not visible, "department": p.department.name if p.department else "",
        }
        if a.role == AssignmentRole.LIAISON:
            people["liaison"] = entry
        else:
            people["grid_workers"].append(entry)
    layers: dict[int, dict] = {}
    for layer in Layer.objects.filter(jurisdiction_id=grid.jurisdiction_id):
        layers[layer.id] = {"code": layer.code, "name": layer.name, "kind": layer.kind, "tiling": layer.tiling, "units": []}
    for c in GridCoverage.objects.filter(grid=grid).select_related("unit__department").order_by("-share"):
        layers[c.layer_id]["units"].append(
            {"code": c.unit.code, "name": c.unit.name, "share": round(c.share, 4), "area_m2": round(c.area_m2, 1),
             "department": c.unit.department.name if c.unit.department else ""}
        )
    warnings = [
        {"kind": i.kind, "label": i.get_kind_display(), "area_m2": round(i.area_m2, 1), "share": i.share,
         "layer": i.layer.name if i.layer else "", "unit": i.unit.code if i.unit else "",
         "other_grid": i.other_grid.code if i.other_grid else ""}
        for i in MergeIssue.objects.filter(grid=grid).select_related("layer", "unit", "other_grid")
    ] + [
        {"kind": i.kind, "label": i.get_kind_display(), "area_m2": round(i.area_m2, 1), "share": i.share, "layer": "",
         "unit": "", "other_grid": i.grid.code}
        for i in MergeIssue.objects.filter(other_grid=grid).select_related("grid")
    ]
    return {
        "id": grid.pk, "code": grid.code, "name": grid.name, "kind": grid.kind, "kind_label": grid.get_kind_display(),
        "area_m2": round(grid.area_m2, 1), **people, "layers": list(layers.values()), "warnings": warnings,
    }


def to_display_crs(geoms, crs: str):
    """WGS84 geometries (one or an array) in the coordinate system of the base map's tiles."""
    if crs == "wgs84":
        return geoms
    if crs not in coords.CRS_CHOICES:
        raise ApplicationError(_("Unknown coordinate system %(crs)r; use one of %(choices)s.")
                               % {"crs": crs, "choices": ", ".join(coords.CRS_CHOICES)})

    def fn(xy):
        lons, lats = coords.from_wgs84_array(xy[:, 0], xy[:, 1], crs)
        return np.column_stack([lons, lats])

    return shapely.transform(geoms, fn)


# Issues that make a grid stand out on the map (slivers are layer-alignment detail, shown on the card).
MAP_FLAGGED_ISSUES = ("overlap", "outside", "partial")


def _zoom_tolerance(zoom: int | None) -> tuple[float, int]:
    """Simplification tolerance (degrees, ~0.5 screen pixel) and coordinate decimals for a zoom level."""
    if zoom is None:
        return 0.0, 7
    deg_per_px = 360.0 / (256 * 2 ** max(0, min(zoom, 22)))
    return deg_per_px * 0.5, max(3, min(7, math.ceil(-math.log10(deg_per_px)) + 1))


def grids_feature_collection(
    *, user, jurisdiction: Jurisdiction, zoom: int | None = None, bbox: tuple[float, float, float, float] | None = None,
    crs: str = "wgs84",
) -> str:
    """Grids as GeoJSON text for the map: simplified for the zoom level, clipped to a bbox (WGS84) if given,
    in the coordinate system of the base map. Built vectorised and cached as text per territory version."""
    scope = "all" if (user.is_jurisdiction_wide or user.role == Role.HANDLER) else f"u{user.pk}"
    key = f"grids-fc:{jurisdiction.pk}:{jurisdiction.territory_version}:{scope}:{zoom}:{bbox}:{crs}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    qs = grids_visible_to(user=user, jurisdiction=jurisdiction)
    if bbox:
        min_lon, min_lat, max_lon, max_lat = bbox
        qs = qs.filter(max_lon__gte=min_lon, min_lon__lte=max_lon, max_lat__gte=min_lat, min_lat__lte=max_lat)
    rows, geoms = load_shapes(qs.order_by("code"), "id", "code", "name", "kind", "area_m2")
    flagged = set(
        MergeIssue.objects.filter(jurisdiction=jurisdiction, kind__in=MAP_FLAGGED_ISSUES)
        .exclude(grid=None).values_list("grid_id", flat=True).distinct()
    )
    features: list[str] = []
    if rows:
        tolerance, precision = _zoom_tolerance(zoom)
        if tolerance:
            geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
        geoms = to_display_crs(geoms, crs)
        geoms = shapely.transform(geoms, lambda xy: np.round(xy, precision))
        for (pk, code, name, kind, area), text in zip(rows, shapely.to_geojson(geoms), strict=True):
            props = {"code": code, "name": name, "kind": kind, "area_m2": round(area), "warnings": pk in flagged}
            features.append(
                f'{{"type":"Feature","id":{pk},"geometry":{text},"properties":{json.dumps(props, ensure_ascii=False)}}}'
            )
    result = '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"
    cache.set(key, result, 300)
    return result


def layers_for_jurisdiction(*, jurisdiction: Jurisdiction) -> QuerySet[Layer]:
    return Layer.objects.filter(jurisdiction=jurisdiction).select_related("department")


def layer_get(*, jurisdiction: Jurisdiction, code: str) -> Layer:
    layer = Layer.objects.filter(jurisdiction=jurisdiction, code=code).first()
    if layer is None:
        raise NotFound(_("Layer %(code)s not found.") % {"code": code})
    return layer


def layer_feature_collection(*, layer: Layer, zoom: int | None = None, crs: str = "wgs84") -> dict:
    tolerance, precision = _zoom_tolerance(zoom)
    rows = list(layer.units.select_related("department").order_by("code"))
    geoms = [to_shape(u.geometry) for u in rows]
    if tolerance and geoms:
        geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
    if geoms:
        geoms = to_display_crs(np.asarray(geoms, dtype=object), crs)
    return {
        "type": "FeatureCollection",
        "layer": {"code": layer.code, "name": layer.name, "kind": layer.kind},
        "features": [
            {"type": "Feature", "id": u.id, "geometry": to_geojson(g, precision),
             "properties": {"code": u.code, "name": u.name, "department": u.department.name if u.department else "",
                            "area_m2": round(u.area_m2)}}
            for u, g in zip(rows, geoms, strict=True)
        ],
    }


def territory_for_index(*, jurisdiction: Jurisdiction) -> tuple[list[tuple], np.ndarray, list[dict]]:
    """Grid rows (id, code, name) and geometries, and per layer its unit rows and geometries."""
    grid_rows, grid_geoms = load_shapes(Grid.objects.filter(jurisdiction=jurisdiction).order_by("code"), "id", "code", "name")
    layers = []
    for layer in Layer.objects.filter(jurisdiction=jurisdiction):
        rows, geoms = load_shapes(LayerUnit.objects.filter(layer=layer).order_by("code"), "id", "code", "name")
        layers.append({"id": layer.id, "code": layer.code, "name": layer.name, "rows": rows, "geoms": geoms})
    return grid_rows, grid_geoms, layers


def merge_report(*, jurisdiction: Jurisdiction, crs: str = "wgs84") -> dict:
    """Per grid, the covering units of every layer with shares; plus the territory's warnings."""
    layers = list(Layer.objects.filter(jurisdiction=jurisdiction))
    grids = {g.id: g for g in Grid.objects.filter(jurisdiction=jurisdiction)}
    cov: dict[int, dict[int, list]] = {}
    for c in GridCoverage.objects.filter(grid__jurisdiction=jurisdiction).select_related("unit").order_by("-share"):
        cov.setdefault(c.grid_id, {}).setdefault(c.layer_id, []).append(
            {"code": c.unit.code, "name": c.unit.name, "share": round(c.share, 4)}
        )
    rows = []
    for g in sorted(grids.values(), key=lambda g: g.code):
        rows.append({
            "grid": g.code, "name": g.name, "area_m2": round(g.area_m2, 1),
            "layers": {layer.code: cov.get(g.id, {}).get(layer.id, []) for layer in layers},
        })
    issues = [
        {"kind": i.kind, "label": i.get_kind_display(), "grid": i.grid.code if i.grid else None,
         "other_grid": i.other_grid.code if i.other_grid else None, "layer": i.layer.code if i.layer else None,
         "unit": i.unit.code if i.unit else None, "area_m2": round(i.area_m2, 1),
         "share": round(i.share, 4) if i.share is not None else None,
         "geometry": to_geojson(to_display_crs(to_shape(i.geometry), crs)) if i.geometry and crs != "wgs84" else i.geometry}
        for i in MergeIssue.objects.filter(jurisdiction=jurisdiction).select_related("grid", "other_grid", "layer", "unit")
    ]
    run = MergeRun.objects.filter(jurisdiction=jurisdiction).first()
    return {
        "jurisdiction": {"code": jurisdiction.code, "name": jurisdiction.name, "area_m2": round(jurisdiction.area_m2, 1)},
        "computed_at": run.computed_at.isoformat() if run else None,
        "stale": bool(run is None or run.territory_version != jurisdiction.territory_version),
        "stats": run.stats if run else {},
        "layers": [{"code": layer.code, "name": layer.name, "tiling": layer.tiling} for layer in layers],
        "grids": rows,
        "issues": issues,
    }


def import_batch_get(*, jurisdiction: Jurisdiction, batch_id: int) -> ImportBatch:
    batch = ImportBatch.objects.filter(jurisdiction=jurisdiction, pk=batch_id).first()
    if batch is None:
        raise NotFound(_("Import %(id)s not found.") % {"id": batch_id})
    return batch
