"""Writes to the territory: departments, people, assignments, grids and units, the 多格合一 merge."""

from __future__ import annotations

import time

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction

from wangge.core.geo import LocalProjection, area_m2, bbox, polygonal_part, to_geojson, to_shape
from wangge.core.models import Jurisdiction
from wangge.grids import merge
from wangge.grids.models import (
    AssignmentRole,
    Department,
    Grid,
    GridAssignment,
    GridCoverage,
    Layer,
    LayerUnit,
    MergeIssue,
    MergeIssueKind,
    MergeRun,
    Person,
)


def geometry_fields(geojson: dict) -> dict:
    """The stored columns of a WGS84 GeoJSON polygon: itself, its bbox and its area."""
    geom = to_shape(geojson)
    min_lon, min_lat, max_lon, max_lat = bbox(geom)
    return {
        "geometry": to_geojson(geom), "min_lon": min_lon, "min_lat": min_lat, "max_lon": max_lon,
        "max_lat": max_lat, "area_m2": area_m2(geom),
    }


def department_upsert(*, jurisdiction: Jurisdiction, code: str, name: str, kind: str, phone: str = "") -> Department:
    department, _ = Department.objects.update_or_create(
        jurisdiction=jurisdiction, code=code, defaults={"name": name, "kind": kind, "phone": phone}
    )
    return department


def person_create(
    *, jurisdiction: Jurisdiction, name: str, phone: str = "", title: str = "", department: Department | None = None,
    user=None,
) -> Person:
    person = Person(jurisdiction=jurisdiction, name=name, phone=phone, title=title, department=department, user=user)
    person.full_clean()
    person.save()
    return person


def grid_assign(*, grid: Grid, person: Person, role: str) -> GridAssignment:
    if role == AssignmentRole.LIAISON:
        GridAssignment.objects.filter(grid=grid, role=AssignmentRole.LIAISON).exclude(person=person).delete()
    assignment, _ = GridAssignment.objects.get_or_create(grid=grid, person=person, role=role)
    return assignment


def _territory_arrays(jurisdiction: Jurisdiction):
    grids = list(Grid.objects.filter(jurisdiction=jurisdiction).order_by("id").only("id", "geometry"))
    layers = list(Layer.objects.filter(jurisdiction=jurisdiction).order_by("sort_order", "code"))
    units_by_layer = {layer.id: [] for layer in layers}
    for unit in LayerUnit.objects.filter(layer__jurisdiction=jurisdiction).order_by("id").only("id", "layer_id", "geometry"):
        units_by_layer[unit.layer_id].append(unit)
    return grids, layers, units_by_layer


@transaction.atomic
def merge_recompute(*, jurisdiction: Jurisdiction) -> MergeRun:
    """Recompute 多格合一 coverage and the territory's warnings; replaces the previous result atomically."""
    started = time.perf_counter()
    jurisdiction = Jurisdiction.objects.select_for_update().get(pk=jurisdiction.pk)
    grids, layers, units_by_layer = _territory_arrays(jurisdiction)
    boundary_wgs = to_shape(jurisdiction.boundary)
    projection = LocalProjection.for_geometries([boundary_wgs])
    boundary = projection.forward(boundary_wgs)
    grid_geoms = projection.forward(np.array([to_shape(g.geometry) for g in grids], dtype=object))
    grid_areas = shapely.area(grid_geoms) if len(grids) else np.empty(0)
    sliver_area = settings.WANGGE_SLIVER_AREA_M2
    sliver_share = settings.WANGGE_SLIVER_SHARE

    GridCoverage.objects.filter(grid__jurisdiction=jurisdiction).delete()
    MergeIssue.objects.filter(jurisdiction=jurisdiction).delete()
    coverage_rows: list[GridCoverage] = []
    issues: list[MergeIssue] = []
    stats: dict = {"grids": len(grids), "layers": {}, "coverage": 0, "slivers": 0, "partial": 0}

    for layer in layers:
        units = units_by_layer[layer.id]
        unit_geoms = projection.forward(np.array([to_shape(u.geometry) for u in units], dtype=object))
        result = merge.layer_coverage(
            grid_geoms, grid_areas, unit_geoms, tiling=layer.tiling, sliver_area_m2=sliver_area, sliver_share=sliver_share
        )
        for g, u, a, s in zip(result.coverage.grid, result.coverage.other, result.coverage.area, result.coverage.share, strict=True):
            coverage_rows.append(GridCoverage(grid=grids[g], layer=layer, unit=units[u], area_m2=float(a), share=min(float(s), 1.0)))
        for g, u, a, s in zip(result.slivers.grid, result.slivers.other, result.slivers.area, result.slivers.share, strict=True):
            issues.append(MergeIssue(jurisdiction=jurisdiction, kind=MergeIssueKind.SLIVER, grid=grids[g], layer=layer,
                                     unit=units[u], area_m2=float(a), share=float(s)))
        for g, a, s in zip(result.partial.grid, result.partial.area, result.partial.share, strict=True):
            issues.append(MergeIssue(jurisdiction=jurisdiction, kind=MergeIssueKind.PARTIAL, grid=grids[g], layer=layer,
                                     area_m2=float(a), share=float(s)))
        stats["layers"][layer.code] = {"units": len(units), "coverage": len(result.coverage)}
        stats["coverage"] += len(result.coverage)
        stats["slivers"] += len(result.slivers)
        stats["partial"] += len(result.partial)

    overlaps = merge.grid_overlaps(grid_geoms, grid_areas, min_area_m2=sliver_area)
    for a, b, area, share in zip(overlaps.grid, overlaps.other, overlaps.area, overlaps.share, strict=True):
        piece = projection.inverse(polygonal_part(shapely.intersection(grid_geoms[a], grid_geoms[b])))
        issues.append(MergeIssue(jurisdiction=jurisdiction, kind=MergeIssueKind.OVERLAP, grid=grids[a], other_grid=grids[b],
                                 area_m2=float(area), share=float(share), geometry=to_geojson(piece)))
    gaps = merge.territory_gaps(boundary, grid_geoms, min_area_m2=sliver_area)
    for gap in gaps:
        issues.append(MergeIssue(jurisdiction=jurisdiction, kind=MergeIssueKind.GAP, area_m2=float(gap.area),
                                 geometry=to_geojson(projection.inverse(gap))))
    outside = merge.grids_outside(boundary, grid_geoms, grid_areas, min_area_m2=sliver_area)
    for g, area, share in zip(outside.grid, outside.area, outside.share, strict=True):
        issues.append(MergeIssue(jurisdiction=jurisdiction, kind=MergeIssueKind.OUTSIDE, grid=grids[g],
                                 area_m2=float(area), share=float(share)))

    GridCoverage.objects.bulk_create(coverage_rows, batch_size=2000)
    MergeIssue.objects.bulk_create(issues, batch_size=2000)
    stats.update(
        overlaps=len(overlaps), overlap_area_m2=float(overlaps.area.sum()), gaps=len(gaps),
        gap_area_m2=float(sum(g.area for g in gaps)), outside=len(outside),
    )
    return MergeRun.objects.create(
        jurisdiction=jurisdiction, territory_version=jurisdiction.territory_version,
        duration_ms=int((time.perf_counter() - started) * 1000), stats=stats,
    )
