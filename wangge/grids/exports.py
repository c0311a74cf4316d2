"""GeoJSON and CSV exports of the territory and the merge report."""

import csv
import io

from wangge.grids.models import Grid, GridAssignment, Layer


def grids_geojson(*, grids) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": g.geometry,
             "properties": {"code": g.code, "name": g.name, "kind": g.kind, "area_m2": round(g.area_m2, 1)}}
            for g in grids.order_by("code")
        ],
    }


def layer_geojson(*, layer: Layer) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": u.geometry,
             "properties": {"code": u.code, "name": u.name, "department": u.department.code if u.department else "",
                            **u.properties}}
            for u in layer.units.select_related("department").order_by("code")
        ],
    }


def _csv(rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(rows)
    return "\ufeff" + out.getvalue()  # BOM so that Excel opens Chinese text correctly


def grids_csv(*, grids, mask_phones: bool) -> str:
    from wangge.core.privacy import mask_phone

    header = ["code", "name", "kind", "area_m2", "grid_workers", "liaison"]
    by_grid: dict[int, dict[str, list[str]]] = {}
    for a in GridAssignment.objects.filter(grid__in=grids).select_related("person"):
        phone = mask_phone(a.person.phone) if mask_phones else a.person.phone
        by_grid.setdefault(a.grid_id, {}).setdefault(a.role, []).append(f"{a.person.name} {phone}".strip())
    rows = [header]
    for g in grids.order_by("code"):
        people = by_grid.get(g.pk, {})
        rows.append([g.code, g.name, g.kind, round(g.area_m2, 1), "; ".join(people.get("grid_worker", [])),
                     "; ".join(people.get("liaison", []))])
    return _csv(rows)


def merge_report_csv(*, report: dict) -> str:
    rows = [["grid", "grid_name", "grid_area_m2", "layer", "unit", "unit_name", "share"]]
    for g in report["grids"]:
        for layer_code, units in g["layers"].items():
            for u in units:
                rows.append([g["grid"], g["name"], g["area_m2"], layer_code, u["code"], u["name"], u["share"]])
    rows.append([])
    rows.append(["issue", "grid", "other_grid", "layer", "unit", "area_m2", "share"])
    for i in report["issues"]:
        rows.append([i["kind"], i["grid"] or "", i["other_grid"] or "", i["layer"] or "", i["unit"] or "", i["area_m2"],
                     "" if i["share"] is None else i["share"]])
    return _csv(rows)


__all__ = ["grids_geojson", "layer_geojson", "grids_csv", "merge_report_csv", "Grid"]
