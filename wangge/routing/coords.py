"""Conversions between WGS84, GCJ-02 and BD-09 longitude/latitude.

* WGS84  - GPS / OpenStreetMap / everything outside China.
* GCJ-02 - the obfuscated "Mars" datum required for Chinese maps (AMap/Gaode, Tencent, WeChat).
* BD-09  - Baidu's additional offset applied on top of GCJ-02.

The forward transforms (WGS84 -> GCJ-02 -> BD-09) are the standard published formulas.
The inverses are computed exactly by fixed-point iteration of the forward formula
(x <- x - (f(x) - target)) until the residual is below 1e-9 degrees (~0.1 mm), instead of the
common one-step approximation, which is off by up to 1-2 m.

GCJ-02 leaves points outside the usual rough China bounding box unchanged; BD-09 always applies
its offset. All functions take and return (lon, lat) in degrees, longitude first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
import numpy.typing as npt

Crs = Literal["wgs84", "gcj02", "bd09"]
CRS_CHOICES: tuple[Crs, ...] = ("wgs84", "gcj02", "bd09")

FloatArray = npt.NDArray[np.float64]
_Transform = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323
# BD-09 constant.
_X_PI = math.pi * 3000.0 / 180.0

TOLERANCE_DEG = 1e-9
MAX_ITERATIONS = 30


# --------------------------------------------------------------------------- forward kernels


def _outside_china(lon: FloatArray, lat: FloatArray) -> npt.NDArray[np.bool_]:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _wgs84_to_gcj02(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + common
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + common
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0

    rad_lat = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * pi)

    outside = _outside_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def _gcj02_to_bd09(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _wgs84_to_bd09(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _gcj02_to_bd09(*_wgs84_to_gcj02(lon, lat))


def _identity(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    return lon.copy(), lat.copy()


# --------------------------------------------------------------------------- exact inverse


def _inverse(forward: _Transform) -> _Transform:
    """Exact inverse of a forward transform that is a small perturbation of a translation.

    Solves forward(x) == target by x <- x - (forward(x) - target), iterating on the whole array
    until the largest residual is below TOLERANCE_DEG or MAX_ITERATIONS is reached (only
    possible right at the edge of the GCJ-02 bounding box, where the datum is discontinuous).
    The first step from x = target is the usual one-step approximation.
    """

    def inverse(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        x, y = lon.copy(), lat.copy()
        for _ in range(MAX_ITERATIONS):
            fx, fy = forward(x, y)
            rx, ry = fx - lon, fy - lat
            if not (np.any(np.abs(rx) >= TOLERANCE_DEG) or np.any(np.abs(ry) >= TOLERANCE_DEG)):
                break
            x -= rx
            y -= ry
        return x, y

    return inverse


_FROM_WGS84: dict[str, _Transform] = {
    "wgs84": _identity,
    "gcj02": _wgs84_to_gcj02,
    "bd09": _wgs84_to_bd09,
}
_TO_WGS84: dict[str, _Transform] = {
    "wgs84": _identity,
    "gcj02": _inverse(_wgs84_to_gcj02),
    "bd09": _inverse(_wgs84_to_bd09),
}
_bd09_to_gcj02 = _inverse(_gcj02_to_bd09)


# --------------------------------------------------------------------------- validation


def _check_crs(crs: str) -> None:
    if crs not in CRS_CHOICES:
        raise ValueError(f"Unknown coordinate reference system {crs!r}; expected one of {CRS_CHOICES}.")


def _validated(lons: npt.ArrayLike, lats: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon = np.array(lons, dtype=np.float64)
    lat = np.array(lats, dtype=np.float64)
    if lon.shape != lat.shape:
        raise ValueError(f"Longitude and latitude shapes differ: {lon.shape} vs {lat.shape}.")
    for name, values, limit in (("longitude", lon, 180.0), ("latitude", lat, 90.0)):
        bad = ~np.isfinite(values) | (np.abs(values) > limit)
        if np.any(bad):
            raise ValueError(
                f"Invalid {name} {values[bad].flat[0]!r}: must be a finite number in [-{limit:g}, {limit:g}]."
            )
    return lon, lat


def _scalar(transform: _Transform, lon: float, lat: float) -> tuple[float, float]:
    x, y = transform(*_validated([lon], [lat]))
    return float(x[0]), float(y[0])


# --------------------------------------------------------------------------- public API: arrays


def to_wgs84_array(lons: npt.ArrayLike, lats: npt.ArrayLike, crs: Crs) -> tuple[FloatArray, FloatArray]:
    """Convert arrays of (lon, lat) in ``crs`` to WGS84 (exact inverse, < 1e-9 deg)."""
    _check_crs(crs)
    return _TO_WGS84[crs](*_validated(lons, lats))


def from_wgs84_array(lons: npt.ArrayLike, lats: npt.ArrayLike, crs: Crs) -> tuple[FloatArray, FloatArray]:
    """Convert arrays of WGS84 (lon, lat) to ``crs``."""
    _check_crs(crs)
    return _FROM_WGS84[crs](*_validated(lons, lats))


# --------------------------------------------------------------------------- public API: scalars


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    return _scalar(_wgs84_to_gcj02, lon, lat)


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    return _scalar(_TO_WGS84["gcj02"], lon, lat)


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    return _scalar(_gcj02_to_bd09, lon, lat)


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    return _scalar(_bd09_to_gcj02, lon, lat)


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    return _scalar(_wgs84_to_bd09, lon, lat)


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    return _scalar(_TO_WGS84["bd09"], lon, lat)


def to_wgs84(lon: float, lat: float, crs: Crs) -> tuple[float, float]:
    """Convert one (lon, lat) in ``crs`` to WGS84."""
    _check_crs(crs)
    return _scalar(_TO_WGS84[crs], lon, lat)


def from_wgs84(lon: float, lat: float, crs: Crs) -> tuple[float, float]:
    """Convert one WGS84 (lon, lat) to ``crs``."""
    _check_crs(crs)
    return _scalar(_FROM_WGS84[crs], lon, lat)
