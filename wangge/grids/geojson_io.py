"""Reading GeoJSON files of grids and layer units: validate everything, report every problem at once.

A file is either accepted whole (every feature valid, converted to WGS84) or refused whole with the
index, code and reason of each bad feature; nothing is written here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from wangge.core.errors import ApplicationError
from wangge.core.geo import LocalProjection, polygonal_part, to_geojson
from wangge.routing import coords

CODE_KEYS = ("code", "编码", "编号", "网格编码", "网格编号", "grid_code", "unit_code", "CODE", "id", "ID")
NAME_KEYS = ("name", "名称", "网格名称", "单元名称", "NAME")
KIND_KEYS = ("kind", "类型", "网格类型")
DEPARTMENT_KEYS = ("department", "部门", "责任部门", "dept")
MAX_ERRORS = 100
# A file whose area lies mostly outside the jurisdiction belongs to another one.
MIN_SHARE_INSIDE = 0.5


class GeoJSONImportError(ApplicationError):
    status = 422
    code = "invalid_geojson"


@dataclass
class ParsedFile:
    features: list[dict]
    repaired: list[dict] = field(default_factory=list)


def _first(props: dict, keys: tuple[str, ...]) -> str:
    for key in keys:
        value = props.get(key)
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def _load_json(raw: bytes | str) -> object:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise GeoJSONImportError(
                _("The file is not UTF-8 text (byte %(byte)s): export it as GeoJSON (UTF-8).") % {"byte": exc.start}
            ) from exc
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise GeoJSONImportError(
            _("Not valid JSON: %(error)s at line %(line)s, column %(column)s.")
            % {"error": exc.msg, "line": exc.lineno, "column": exc.colno}
        ) from exc


def _coordinate_problem(geom: BaseGeometry, bounds: tuple[float, float, float, float] | None) -> str | None:
    xy = shapely.get_coordinates(geom)
    if len(xy) == 0:
        return _("empty polygon")
    if not np.isfinite(xy).all():
        return _("coordinates contain NaN or infinity")
    x, y = xy[:, 0], xy[:, 1]
    if (np.abs(x) > 180).any() or (np.abs(y) > 90).any():
        if (np.abs(xy) > 1000).any():
            sample = xy[np.argmax(np.abs(xy).max(axis=1))]
            message = _("coordinates look like projected metres (e.g. %(x)s, %(y)s); expected WGS84/GCJ-02/BD-09 longitude, latitude in degrees")
            return message % {"x": f"{sample[0]:.1f}", "y": f"{sample[1]:.1f}"}
        if (np.abs(x) <= 90).all() and (np.abs(y) <= 180).all():
            return _("longitude and latitude look swapped (GeoJSON order is longitude, latitude)")
        return _("coordinates out of range for longitude/latitude")
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        inside = (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)
        swapped_inside = (y >= minx) & (y <= maxx) & (x >= miny) & (x <= maxy)
        if not inside.any() and swapped_inside.all():
            return _("longitude and latitude look swapped (GeoJSON order is longitude, latitude)")
    return None


def _to_wgs84(geom: BaseGeometry, crs: str) -> BaseGeometry:
    if crs == "wgs84":
        return geom

    def fn(xy: np.ndarray) -> np.ndarray:
        lons, lats = coords.to_wgs84_array(xy[:, 0], xy[:, 1], crs)
        return np.column_stack([lons, lats])

    return shapely.transform(geom, fn)


def parse_features(
    raw: bytes | str,
    *,
    crs: str = "wgs84",
    repair: bool = False,
    jurisdiction_code: str | None = None,
    boundary: BaseGeometry | None = None,
) -> ParsedFile:
    """Validate a GeoJSON FeatureCollection of polygons and return normalised WGS84 features."""
    if crs not in coords.CRS_CHOICES:
        raise GeoJSONImportError(_("Unknown coordinate system %(crs)r; use one of %(choices)s.")
                                 % {"crs": crs, "choices": ", ".join(coords.CRS_CHOICES)})
    data = _load_json(raw)
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = {"type": "FeatureCollection", "features": [data]}
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise GeoJSONImportError(_("Expected a GeoJSON FeatureCollection with a 'features' list."))
    file_jurisdiction = data.get("jurisdiction")
    if jurisdiction_code and file_jurisdiction and str(file_jurisdiction) != jurisdiction_code:
        raise GeoJSONImportError(
            _("The file is for jurisdiction %(file)s, not %(ours)s.") % {"file": file_jurisdiction, "ours": jurisdiction_code},
            code="wrong_jurisdiction",
        )
    declared_crs = json.dumps(data.get("crs") or "")
    if any(tag in declared_crs for tag in ("3857", "900913", "4547", "4490:3", "UTM")):
        raise GeoJSONImportError(
            _("The file declares a projected coordinate system (%(crs)s); re-export it in WGS84.") % {"crs": declared_crs}
        )
    if not data["features"]:
        raise GeoJSONImportError(_("The file has no features."))

    bounds = boundary.bounds if boundary is not None else None
    errors: list[dict] = []
    features: list[dict] = []
    repaired: list[dict] = []
    seen: dict[str, int] = {}

    def fail(index: int, code: str, reason: str) -> None:
        errors.append({"index": index, "code": code, "reason": reason})

    for index, feature in enumerate(data["features"]):
        if len(errors) >= MAX_ERRORS:
            break
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            fail(index, "", _("not a GeoJSON Feature"))
            continue
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            fail(index, "", _("properties must be an object"))
            continue
        code = _first(props, CODE_KEYS) or (str(feature["id"]) if feature.get("id") not in (None, "") else "")
        if not code:
            fail(index, "", _("missing code (one of the properties %(keys)s)") % {"keys": ", ".join(CODE_KEYS[:5])})
            continue
        if code in seen:
            fail(index, code, _("duplicate code %(code)s (also feature %(index)s)") % {"code": code, "index": seen[code]})
            continue
        seen[code] = index
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict):
            fail(index, code, _("missing geometry"))
            continue
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            fail(index, code, _("geometry type %(type)s is not a Polygon or MultiPolygon") % {"type": geometry.get("type")})
            continue
        try:
            geom = shape(geometry)
        except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.GEOSException) as exc:
            fail(index, code, _("malformed coordinates: %(error)s") % {"error": exc})
            continue
        problem = _coordinate_problem(geom, bounds)
        if problem:
            fail(index, code, problem)
            continue
        geom = _to_wgs84(geom, crs)
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            if not repair:
                fail(index, code, _("invalid geometry: %(reason)s (fix it, or import with repair)") % {"reason": reason})
                continue
            geom = polygonal_part(shapely.make_valid(geom))
            repaired.append({"index": index, "code": code, "reason": reason})
        if geom.is_empty or geom.area <= 0 or not all(math.isfinite(v) for v in geom.bounds):
            fail(index, code, _("polygon has no area"))
            continue
        features.append(
            {
                "index": index,
                "code": code,
                "name": _first(props, NAME_KEYS) or code,
                "kind": _first(props, KIND_KEYS),
                "department": _first(props, DEPARTMENT_KEYS),
                "properties": {k: v for k, v in props.items() if isinstance(v, (str, int, float, bool))},
                "geom": geom,
            }
        )

    if errors:
        first = errors[0]
        if first["code"]:
            message = _("%(count)s feature(s) refused; nothing was imported. First: feature %(index)s (%(code)s): %(reason)s.")
        else:
            message = _("%(count)s feature(s) refused; nothing was imported. First: feature %(index)s: %(reason)s.")
        raise GeoJSONImportError(
            message % {"count": len(errors), "index": first["index"], "code": first["code"], "reason": first["reason"]},
            details=errors,
        )

    if boundary is not None:
        union = shapely.union_all([f["geom"] for f in features])
        projection = LocalProjection.for_geometries([boundary])
        total = projection.forward(union).area
        inside = projection.forward(shapely.intersection(union, boundary)).area
        share = inside / total if total else 0.0
        if share < MIN_SHARE_INSIDE:
            raise GeoJSONImportError(
                _("Only %(share)s of the file's area lies inside this jurisdiction: is it for another street?")
                % {"share": f"{share:.0%}"},
                code="wrong_jurisdiction",
            )
    for feature in features:
        feature["geometry"] = to_geojson(feature.pop("geom"))
    return ParsedFile(features=features, repaired=repaired)
