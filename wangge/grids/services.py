"""Writes to the territory: departments, people, assignments, grids and units, the 多格合一 merge."""

from __future__ import annotations

import time

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction

from wangge.core.geo import LocalProjection, area_m2, bbox, load_shapes, polygonal_part, to_geojson, to_shape
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
    """Ids and WGS84 geometries of the grids and of every layer's units, in stable order."""
    grid_rows, grid_geoms = load_shapes(Grid.objects.filter(jurisdiction=jurisdiction).order_by("id"), "id")
    layers = list(Layer.objects.filter(jurisdiction=jurisdiction).order_by("sort_order", "code"))
    units = {}
    for layer in layers:
        rows, geoms = load_shapes(LayerUnit.objects.filter(layer=layer).order_by("id"), "id")
        units[layer.id] = ([r[0] for r in rows], geoms)
    return [r[0] for r in grid_rows], grid_geoms, layers, units


@transaction.atomic
def merge_recompute(*, jurisdiction: Jurisdiction) -> MergeRun:
    """Recompute 多格合一 coverage and the territory's warnings; replaces the previous result atomically."""
    started = time.perf_counter()
    jurisdiction = Jurisdiction.objects.select_for_update().get(pk=jurisdiction.pk)
    grid_ids, grid_wgs, layers, units_by_layer = _territory_arrays(jurisdiction)
    boundary_wgs = to_shape(jurisdiction.boundary)
    projection = LocalProjection.for_geometries([boundary_wgs])
    boundary = projection.forward(boundary_wgs)
    grid_geoms = projection.forward(grid_wgs)
    grid_areas = shapely.area(grid_geoms) if len(grid_ids) else np.empty(0)
    sliver_area = settings.WANGGE_SLIVER_AREA_M2
    sliver_share = settings.WANGGE_SLIVER_SHARE

    GridCoverage.objects.filter(grid__jurisdiction=jurisdiction).delete()
    MergeIssue.objects.filter(jurisdiction=jurisdiction).delete()
    coverage_rows: list[GridCoverage] = []
    issues: list[MergeIssue] = []
    stats: dict = {"grids": len(grid_ids), "layers": {}, "coverage": 0, "slivers": 0, "partial": 0}
    gid = np.asarray(grid_ids, dtype=np.int64)

    for layer in layers:
        unit_ids, unit_wgs = units_by_layer[layer.id]
        uid = np.asarray(unit_ids, dtype=np.int64)
        result = merge.layer_coverage(
            grid_geoms, grid_areas, projection.forward(unit_wgs), tiling=layer.tiling,
            sliver_area_m2=sliver_area, sliver_share=sliver_share,
        )
        cov = result.coverage
        coverage_rows.extend(
            GridCoverage(grid_id=g, layer_id=layer.id, unit_id=u, area_m2=a, share=min(s, 1.0))
            for g, u, a, s in zip(gid[cov.grid].tolist(), uid[cov.other].tolist(), cov.area.tolist(), cov.share.tolist(), strict=True)
        )
        sl = result.slivers
        issues.extend(
            MergeIssue(jurisdiction_id=jurisdiction.pk, kind=MergeIssueKind.SLIVER, grid_id=g, layer_id=layer.id, unit_id=u,
                       area_m2=a, share=s)
            for g, u, a, s in zip(gid[sl.grid].tolist(), uid[sl.other].tolist(), sl.area.tolist(), sl.share.tolist(), strict=True)
        )
        pa = result.partial
        issues.extend(
            MergeIssue(jurisdiction_id=jurisdiction.pk, kind=MergeIssueKind.PARTIAL, grid_id=g, layer_id=layer.id, area_m2=a, share=s)
            for g, a, s in zip(gid[pa.grid].tolist(), pa.area.tolist(), pa.share.tolist(), strict=True)
        )
        stats["layers"][layer.code] = {"units": len(unit_ids), "coverage": len(cov)}
        stats["coverage"] += len(cov)
        stats["slivers"] += len(sl)
        stats["partial"] += len(pa)

    overlaps = merge.grid_overlaps(grid_geoms, grid_areas, min_area_m2=sliver_area)
    for a, b, area, share in zip(overlaps.grid, overlaps.other, overlaps.area, overlaps.share, strict=True):
        piece = projection.inverse(polygonal_part(shapely.intersection(grid_geoms[a], grid_geoms[b])))
        issues.append(MergeIssue(jurisdiction=jurisdiction, kind=MergeIssueKind.OVERLAP, grid_id=grid_ids[a],
                                 other_grid_id=grid_ids[b], area_m2=float(area), share=float(share), geometry=to_geojson(piece)))
    gaps = merge.territory_gaps(boundary, grid_geoms, min_area_m2=sliver_area)
    for gap in gaps:
        issues.append(MergeIssue(jurisdiction=jurisdiction, kind=MergeIssueKind.GAP, area_m2=float(gap.area),
                                 geometry=to_geojson(projection.inverse(gap))))
    outside = merge.grids_outside(boundary, grid_geoms, grid_areas, min_area_m2=sliver_area)
    for g, area, share in zip(outside.grid, outside.area, outside.share, strict=True):
        issues.append(MergeIssue(jurisdiction=jurisdiction, kind=MergeIssueKind.OUTSIDE, grid_id=grid_ids[g],
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
