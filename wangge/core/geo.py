"""Geometry helpers over shapely 2. Storage is GeoJSON in WGS84 (lon, lat); areas are in m².

Areas and metric comparisons use a local equirectangular projection around the territory's own
latitude: for a street or a city (tens of km) its area error is far below 0.1 %, which is all that
coverage shares, gaps and slivers need, and it is vectorised (shapely.transform over numpy).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

EARTH_RADIUS_M = 6_371_008.8
POLYGONAL = ("Polygon", "MultiPolygon")


def to_shape(geojson: dict) -> BaseGeometry:
    return shape(geojson)


def to_geojson(geom: BaseGeometry, precision: int = 7) -> dict:
    """GeoJSON dict with coordinates rounded to `precision` decimals (7 ≈ 1 cm)."""
    return _round_coords(mapping(geom), precision)


def _round_coords(obj, precision: int):
    if isinstance(obj, dict):
        return {k: _round_coords(v, precision) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(c), precision) for c in obj]
        return [_round_coords(v, precision) for v in obj]
    return obj


class LocalProjection:
    """Equirectangular metres around a reference latitude (and longitude)."""

    def __init__(self, lon0: float, lat0: float) -> None:
        self.lon0 = lon0
        self.lat0 = lat0
        self.kx = EARTH_RADIUS_M * math.cos(math.radians(lat0)) * math.pi / 180.0
        self.ky = EARTH_RADIUS_M * math.pi / 180.0

    @classmethod
    def for_geometries(cls, geoms: Iterable[BaseGeometry] | np.ndarray) -> LocalProjection:
        arr = np.asarray(list(geoms) if not isinstance(geoms, np.ndarray) else geoms, dtype=object)
        minx, miny, maxx, maxy = shapely.total_bounds(arr)
        if not np.isfinite(minx):
            return cls(0.0, 0.0)
        return cls((minx + maxx) / 2, (miny + maxy) / 2)

    def forward(self, geoms):
        def fn(coords: np.ndarray) -> np.ndarray:
            out = np.empty_like(coords)
            out[:, 0] = (coords[:, 0] - self.lon0) * self.kx
            out[:, 1] = (coords[:, 1] - self.lat0) * self.ky
            return out

        return shapely.transform(geoms, fn)

    def inverse(self, geoms):
        def fn(coords: np.ndarray) -> np.ndarray:
            out = np.empty_like(coords)
            out[:, 0] = coords[:, 0] / self.kx + self.lon0
            out[:, 1] = coords[:, 1] / self.ky + self.lat0
            return out

        return shapely.transform(geoms, fn)


def area_m2(geom: BaseGeometry, projection: LocalProjection | None = None) -> float:
    if geom is None or geom.is_empty:
        return 0.0
    projection = projection or LocalProjection.for_geometries([geom])
    return float(shapely.area(projection.forward(geom)))


def polygonal_part(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygonal part of a geometry (intersections can leave lines and points)."""
    if geom.is_empty or geom.geom_type in POLYGONAL:
        return geom
    if geom.geom_type == "GeometryCollection":
        polys = [g for g in shapely.get_parts(geom) if g.geom_type in POLYGONAL]
        return shapely.union_all(polys) if polys else shapely.Polygon()
    return shapely.Polygon()


def bbox(geom: BaseGeometry) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = geom.bounds
    return float(minx), float(miny), float(maxx), float(maxy)


def load_shapes(queryset, *fields: str, geometry: str = "geometry") -> tuple[list[tuple], np.ndarray]:
    """Rows of `fields` and their geometries, parsed in one vectorised call from the JSON text column.

    Decoding thousands of GeoJSON dicts into shapely objects one by one dominates large reads; GEOS
    parses the column's text directly instead.
    """
    from django.db.models import TextField
    from django.db.models.functions import Cast

    rows = list(queryset.annotate(_geometry_text=Cast(geometry, output_field=TextField())).values_list(*fields, "_geometry_text"))
    geoms = shapely.from_geojson(np.array([r[-1] for r in rows], dtype=object)) if rows else np.empty(0, dtype=object)
    return [r[:-1] for r in rows], np.asarray(geoms, dtype=object)
