"""Locate service: per-process cache of the territory index, rebuilt when the territory version moves."""

from __future__ import annotations

import threading
import time

import numpy as np
from django.utils.translation import gettext as _

from wangge.core.errors import ApplicationError
from wangge.core.geo import to_shape
from wangge.core.models import Jurisdiction
from wangge.grids import selectors as grid_selectors
from wangge.routing import coords
from wangge.routing.locate import Feature, TerritoryIndex

# How often a process asks the database whether another process changed the territory (seconds).
VERSION_CHECK_INTERVAL = 1.0
MAX_BATCH = 10_000

_lock = threading.Lock()
_cache: dict[int, tuple[int, TerritoryIndex, float]] = {}


def territory_index_build(*, jurisdiction: Jurisdiction) -> TerritoryIndex:
    grid_rows, grid_geoms, layers = grid_selectors.territory_for_index(jurisdiction=jurisdiction)
    return TerritoryIndex(
        boundary=to_shape(jurisdiction.boundary),
        grids=[(Feature(*row), geom) for row, geom in zip(grid_rows, grid_geoms, strict=True)],
        layers=[
            (layer["id"], layer["code"], layer["name"],
             [(Feature(*row), geom) for row, geom in zip(layer["rows"], layer["geoms"], strict=True)])
            for layer in layers
        ],
    )


def territory_index_get(*, jurisdiction: Jurisdiction) -> TerritoryIndex:
    now = time.monotonic()
    cached = _cache.get(jurisdiction.pk)
    if cached and now - cached[2] < VERSION_CHECK_INTERVAL:
        return cached[1]
    version = Jurisdiction.objects.filter(pk=jurisdiction.pk).values_list("territory_version", flat=True).first()
    if cached and cached[0] == version:
        _cache[jurisdiction.pk] = (version, cached[1], now)
        return cached[1]
    with _lock:
        index = territory_index_build(jurisdiction=Jurisdiction.objects.get(pk=jurisdiction.pk))
        _cache[jurisdiction.pk] = (version, index, now)
    return index


def territory_index_invalidate(*, jurisdiction_id: int | None = None) -> None:
    if jurisdiction_id is None:
        _cache.clear()
    else:
        _cache.pop(jurisdiction_id, None)


def on_territory_changed(sender, *, jurisdiction_id: int, **kwargs) -> None:
    territory_index_invalidate(jurisdiction_id=jurisdiction_id)


def _to_wgs84(lons, lats, crs: str):
    try:
        return coords.to_wgs84_array(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float), crs)
    except (ValueError, TypeError) as exc:  # coords' own messages are English: say it in the reader's language
        if crs not in coords.CRS_CHOICES:
            message = _("Unknown coordinate system %(crs)s: wgs84, gcj02 or bd09.") % {"crs": repr(crs)}
        else:
            message = _("Coordinates must be numbers: longitude from -180 to 180, latitude from -90 to 90.")
        raise ApplicationError(message, code="invalid_coordinates") from exc


def locate_point(*, jurisdiction: Jurisdiction, lon: float, lat: float, crs: str = "wgs84") -> dict:
    wlons, wlats = _to_wgs84([lon], [lat], crs)
    result = territory_index_get(jurisdiction=jurisdiction).locate(float(wlons[0]), float(wlats[0]))
    result["input"] = {"lon": float(lon), "lat": float(lat), "crs": crs}
    result["wgs84"] = {"lon": round(float(wlons[0]), 8), "lat": round(float(wlats[0]), 8)}
    return result


def locate_points(*, jurisdiction: Jurisdiction, points: list[tuple[float, float]], crs: str = "wgs84") -> list[dict]:
    if not points:
        return []
    if len(points) > MAX_BATCH:
        raise ApplicationError(_("At most %(max)s points per request; got %(n)s.") % {"max": MAX_BATCH, "n": len(points)},
                               code="batch_too_large")
    arr = np.asarray(points, dtype=float)
    wlons, wlats = _to_wgs84(arr[:, 0], arr[:, 1], crs)
    index = territory_index_get(jurisdiction=jurisdiction)
    batch = index.locate_many(wlons, wlats)
    out = []
    for i in range(len(points)):
        result = index.describe(batch, i)
        result["input"] = {"lon": float(arr[i, 0]), "lat": float(arr[i, 1]), "crs": crs}
        result["wgs84"] = {"lon": round(float(wlons[i]), 8), "lat": round(float(wlats[i]), 8)}
        out.append(result)
    return out
