"""Importing grids and layers from GeoJSON: preview (validate + diff, nothing written to the territory),
then commit (atomic upsert by code, removal of what the file no longer has, merge recomputed)."""

from __future__ import annotations

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.errors import ApplicationError, Conflict, NotFound
from wangge.core.geo import LocalProjection, to_shape
from wangge.core.models import Jurisdiction
from wangge.core.services import jurisdiction_territory_changed
from wangge.grids import merge
from wangge.grids.geojson_io import parse_features
from wangge.grids.models import (
    Department,
    Grid,
    GridCoverage,
    GridKind,
    ImportBatch,
    ImportKind,
    ImportStatus,
    Layer,
    LayerKind,
    LayerUnit,
)
from wangge.grids.services import geometry_fields, merge_recompute

# Grid kinds as they appear in Chinese source files.
GRID_KIND_SYNONYMS = {
    "居住": GridKind.RESIDENTIAL, "住宅": GridKind.RESIDENTIAL, "居民区": GridKind.RESIDENTIAL,
    "商业": GridKind.COMMERCIAL, "商务": GridKind.COMMERCIAL, "商圈": GridKind.COMMERCIAL,
    "混合": GridKind.MIXED, "综合": GridKind.MIXED, "工业": GridKind.INDUSTRIAL, "园区": GridKind.INDUSTRIAL,
    "公共": GridKind.PUBLIC, "公共空间": GridKind.PUBLIC, "其他": GridKind.OTHER,
}
# Two shapes are "the same" when they differ by less than this share of their area (and 1 m²).
RESHAPE_TOLERANCE = 0.001
SHARE_CHANGE = 0.005


def _current_features(jurisdiction: Jurisdiction, kind: str, layer: Layer | None) -> dict[str, dict]:
    if kind == ImportKind.GRIDS:
        rows = Grid.objects.filter(jurisdiction=jurisdiction).values("code", "name", "geometry")
    elif layer is not None:
        rows = LayerUnit.objects.filter(layer=layer).values("code", "name", "geometry")
    else:
        rows = []
    return {r["code"]: r for r in rows}


def _coverage_map(grid_codes, unit_codes, result: merge.LayerCoverage) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for g, u, s in zip(result.coverage.grid, result.coverage.other, result.coverage.share, strict=True):
        out.setdefault(grid_codes[g], {})[unit_codes[u]] = round(float(s), 4)
    return out


def _coverage_changes(jurisdiction: Jurisdiction, kind: str, layer_code: str, tiling: bool, new: list[dict]) -> list[dict]:
    """Grids whose coverage would change if `new` replaced the current grids (or the layer's units)."""
    stored: dict[str, dict[str, float]] = {}
    qs = GridCoverage.objects.filter(grid__jurisdiction=jurisdiction).values_list("grid__code", "layer__code", "unit__code", "share")
    if kind == ImportKind.LAYER:
        qs = qs.filter(layer__code=layer_code)
    for grid_code, lcode, ucode, share in qs:
        stored.setdefault(grid_code, {})[f"{lcode}:{ucode}"] = round(share, 4)

    if kind == ImportKind.GRIDS:
        grid_codes = [f["code"] for f in new]
        grid_wgs = [to_shape(f["geometry"]) for f in new]
    else:
        grids = list(Grid.objects.filter(jurisdiction=jurisdiction).values_list("code", "geometry"))
        grid_codes = [c for c, _geometry in grids]
        grid_wgs = [to_shape(g) for _code, g in grids]
    if not grid_codes:
        return []
    projection = LocalProjection.for_geometries([to_shape(jurisdiction.boundary)])
    grid_geoms = projection.forward(np.array(grid_wgs, dtype=object))
    grid_areas = shapely.area(grid_geoms)

    layers: list[tuple[str, bool, list[str], list]] = []
    if kind == ImportKind.GRIDS:
        for layer in Layer.objects.filter(jurisdiction=jurisdiction):
            units = list(layer.units.values_list("code", "geometry"))
            layers.append((layer.code, layer.tiling, [c for c, _geometry in units], [to_shape(g) for _code, g in units]))
    else:
        layers.append((layer_code, tiling, [f["code"] for f in new], [to_shape(f["geometry"]) for f in new]))

    proposed: dict[str, dict[str, float]] = {}
    for lcode, ltiling, unit_codes, unit_wgs in layers:
        unit_geoms = projection.forward(np.array(unit_wgs, dtype=object))
        result = merge.layer_coverage(
            grid_geoms, grid_areas, unit_geoms, tiling=ltiling,
            sliver_area_m2=settings.WANGGE_SLIVER_AREA_M2, sliver_share=settings.WANGGE_SLIVER_SHARE,
        )
        for grid_code, shares in _coverage_map(grid_codes, unit_codes, result).items():
            for unit_code, share in shares.items():
                proposed.setdefault(grid_code, {})[f"{lcode}:{unit_code}"] = share

    changes = []
    for grid_code in grid_codes:
        before, after = stored.get(grid_code, {}), proposed.get(grid_code, {})
        keys = set(before) | set(after)
        if any(abs(before.get(k, 0) - after.get(k, 0)) > SHARE_CHANGE for k in keys):
            changes.append({"grid": grid_code, "before": before, "after": after})
    return changes


def compute_diff(*, jurisdiction: Jurisdiction, kind: str, layer_code: str, tiling: bool, features: list[dict]) -> dict:
    layer = Layer.objects.filter(jurisdiction=jurisdiction, code=layer_code).first() if kind == ImportKind.LAYER else None
    current = _current_features(jurisdiction, kind, layer)
    projection = LocalProjection.for_geometries([to_shape(jurisdiction.boundary)])
    added, reshaped, renamed, unchanged = [], [], [], 0
    for f in features:
        old = current.get(f["code"])
        if old is None:
            added.append(f["code"])
            continue
        if old["name"] != f["name"]:
            renamed.append({"code": f["code"], "from": old["name"], "to": f["name"]})
        a, b = projection.forward(to_shape(old["geometry"])), projection.forward(to_shape(f["geometry"]))
        changed = shapely.area(shapely.symmetric_difference(a, b))
        if changed > max(1.0, RESHAPE_TOLERANCE * max(a.area, b.area)):
            reshaped.append({"code": f["code"], "changed_area_m2": round(float(changed), 1)})
        elif old["name"] == f["name"]:
            unchanged += 1
    new_codes = {f["code"] for f in features}
    removed = sorted(code for code in current if code not in new_codes)
    return {
        "added": added, "removed": removed, "reshaped": reshaped, "renamed": renamed, "unchanged": unchanged,
        "coverage_changed": _coverage_changes(jurisdiction, kind, layer_code, tiling, features),
    }


def import_preview(
    *, jurisdiction: Jurisdiction, user, kind: str, raw: bytes | str, filename: str = "", crs: str | None = None,
    repair: bool = False, layer_code: str = "", layer_name: str = "", layer_kind: str = "", tiling: bool | None = None,
) -> ImportBatch:
    """Validate a file and compute what committing it would change. Writes only the batch row."""
    if kind not in ImportKind.values:
        raise ApplicationError(_("Unknown import kind %(kind)r; use one of %(choices)s.")
                               % {"kind": kind, "choices": ", ".join(ImportKind.values)})
    if kind == ImportKind.LAYER:
        if not layer_code.strip():
            raise ApplicationError(_("A layer import needs a layer code."))
        if layer_kind and layer_kind not in LayerKind.values:
            raise ApplicationError(_("Unknown layer kind %(kind)r.") % {"kind": layer_kind})
    crs = crs or settings.WANGGE_IMPORT_CRS
    parsed = parse_features(
        raw, crs=crs, repair=repair, jurisdiction_code=jurisdiction.code, boundary=to_shape(jurisdiction.boundary)
    )
    existing_layer = Layer.objects.filter(jurisdiction=jurisdiction, code=layer_code).first() if layer_code else None
    if tiling is None:
        tiling = existing_layer.tiling if existing_layer else (layer_kind or "") != LayerKind.PROPERTY
    features = [{k: v for k, v in f.items()} for f in parsed.features]
    diff = compute_diff(jurisdiction=jurisdiction, kind=kind, layer_code=layer_code, tiling=tiling, features=features)
    diff["tiling"] = tiling
    return ImportBatch.objects.create(
        jurisdiction=jurisdiction, kind=kind, layer_code=layer_code.strip(), layer_name=layer_name.strip(),
        layer_kind=layer_kind, filename=filename[:255], crs=crs, repaired=parsed.repaired, features=features,
        diff=diff, base_version=jurisdiction.territory_version, created_by=user if getattr(user, "pk", None) else None,
    )


def _departments_by_code(jurisdiction: Jurisdiction) -> dict[str, Department]:
    by_code = {}
    for d in Department.objects.filter(jurisdiction=jurisdiction):
        by_code[d.code] = d
        by_code.setdefault(d.name, d)
    return by_code


@transaction.atomic
def import_commit(*, jurisdiction: Jurisdiction, batch_id: int, user) -> ImportBatch:
    """Apply a previewed import. All or nothing; refused if the territory changed since the preview."""
    jurisdiction = Jurisdiction.objects.select_for_update().get(pk=jurisdiction.pk)
    batch = ImportBatch.objects.select_for_update().filter(jurisdiction=jurisdiction, pk=batch_id).first()
    if batch is None:
        raise NotFound(_("Import %(id)s not found.") % {"id": batch_id})
    if batch.status != ImportStatus.PREVIEWED:
        raise Conflict(_("Import %(id)s is already %(status)s.") % {"id": batch_id, "status": batch.get_status_display()},
                       code="import_not_pending")
    if batch.base_version != jurisdiction.territory_version:
        raise Conflict(
            _("The territory changed after this preview was made; upload the file again to see the current diff."),
            code="stale_preview",
        )
    departments = _departments_by_code(jurisdiction)
    codes = [f["code"] for f in batch.features]
    if batch.kind == ImportKind.GRIDS:
        Grid.objects.filter(jurisdiction=jurisdiction).exclude(code__in=codes).delete()
        for f in batch.features:
            raw_kind = (f.get("kind") or "").strip()
            kind = raw_kind.lower() if raw_kind.lower() in GridKind.values else GRID_KIND_SYNONYMS.get(raw_kind, GridKind.MIXED)
            Grid.objects.update_or_create(
                jurisdiction=jurisdiction, code=f["code"],
                defaults={"name": f["name"], "kind": kind, **geometry_fields(f["geometry"])},
            )
    else:
        layer, created = Layer.objects.get_or_create(
            jurisdiction=jurisdiction, code=batch.layer_code,
            defaults={"name": batch.layer_name or batch.layer_code, "kind": batch.layer_kind or LayerKind.OTHER,
                      "tiling": batch.diff.get("tiling", True)},
        )
        if not created and (batch.layer_name or batch.layer_kind):
            layer.name = batch.layer_name or layer.name
            layer.kind = batch.layer_kind or layer.kind
            layer.save(update_fields=["name", "kind"])
        LayerUnit.objects.filter(layer=layer).exclude(code__in=codes).delete()
        for f in batch.features:
            LayerUnit.objects.update_or_create(
                layer=layer, code=f["code"],
                defaults={"name": f["name"], "department": departments.get(f.get("department") or ""),
                          "properties": f.get("properties") or {}, **geometry_fields(f["geometry"])},
            )
    batch.status = ImportStatus.COMMITTED
    batch.committed_at = timezone.now()
    batch.save(update_fields=["status", "committed_at"])
    jurisdiction_territory_changed(jurisdiction=jurisdiction)
    merge_recompute(jurisdiction=jurisdiction)
    return batch


@transaction.atomic
def import_discard(*, jurisdiction: Jurisdiction, batch_id: int) -> ImportBatch:
    batch = ImportBatch.objects.select_for_update().filter(jurisdiction=jurisdiction, pk=batch_id).first()
    if batch is None:
        raise NotFound(_("Import %(id)s not found.") % {"id": batch_id})
    if batch.status != ImportStatus.PREVIEWED:
        raise Conflict(_("Import %(id)s is already %(status)s.") % {"id": batch_id, "status": batch.get_status_display()},
                       code="import_not_pending")
    batch.status = ImportStatus.DISCARDED
    batch.save(update_fields=["status"])
    return batch
