"""Tests for wangge.routing.coords (pure functions, no database)."""

import math

import numpy as np
import pytest

from wangge.routing import coords
from wangge.routing.coords import (
    CRS_CHOICES,
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84,
    from_wgs84_array,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    to_wgs84_array,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# ---------------------------------------------------------------------------------------------------
# Published reference pairs, all written (lon, lat). Only the numbers are taken from these sources.
# ---------------------------------------------------------------------------------------------------

# (source, wgs84 lon/lat, gcj02 lon/lat)
WGS84_GCJ02_PAIRS = [
    # googollee/eviltransform, go/transform_test.go ("shanghai", "shenzhen", "beijing"; lat/lng order there)
    ("eviltransform shanghai", (121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    ("eviltransform shenzhen", (113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
    ("eviltransform beijing", (116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
    # wandergis/coordtransform, test/app.js ("wgs84togcj02: [116.41024449916938, 39.91640428150164]")
    ("coordtransform app.js", (116.404, 39.915), (116.41024449916938, 39.91640428150164)),
    # lyttonlee/lnglat-converter, README.md (wgs84togcj02(106, 32))
    ("lnglat-converter README", (106.0, 32.0), (106.0038603381513, 31.997775713491148)),
    # hujiulong/gcoord, test/unit/crs/WGS84.spec.ts ("WGS84 to GCJ02", 8 decimals)
    ("gcoord WGS84.spec", (123.0, 45.0), (123.00607541, 45.00197815)),
]

# (source, gcj02 lon/lat, bd09 lon/lat)
GCJ02_BD09_PAIRS = [
    # wandergis/coordtransform, test/app.js ("gcj02tobd09: [116.41036949371029, 39.92133699351021]")
    ("coordtransform app.js", (116.404, 39.915), (116.41036949371029, 39.92133699351021)),
    # hujiulong/gcoord, test/unit/crs/GCJ02.spec.js ("GCJ02 to BD09", 8 decimals)
    ("gcoord GCJ02.spec", (123.0, 45.0), (123.00636499, 45.00636899)),
]

# (source, wgs84 lon/lat, bd09 lon/lat)
WGS84_BD09_PAIRS = [
    # lyttonlee/lnglat-converter, README.md (wgs84tobd09(106, 32))
    ("lnglat-converter README", (106.0, 32.0), (106.01040868983318, 32.00356002052303)),
    # hujiulong/gcoord, test/unit/crs/WGS84.spec.ts ("WGS84 to BD09", 7 decimals)
    ("gcoord WGS84.spec", (123.0, 45.0), (123.0124491, 45.0083293)),
]

REF_TOL = 1e-6  # degrees; the gcoord vectors are only published to 7-8 decimals
ROUND_TRIP_TOL = 1e-8  # degrees, about 1 mm


def _assert_close(got, expected, tol, label=""):
    assert abs(got[0] - expected[0]) < tol and abs(got[1] - expected[1]) < tol, (label, got, expected)


def _metres(dlon, dlat, lat):
    """Approximate ground distance in metres of a small (dlon, dlat) offset at latitude lat."""
    return np.hypot(dlon * 111_320.0 * np.cos(np.radians(lat)), dlat * 110_574.0)


def _grid(lon0, lon1, lat0, lat1, n):
    lon, lat = np.meshgrid(np.linspace(lon0, lon1, n), np.linspace(lat0, lat1, n))
    return lon.ravel(), lat.ravel()


SHANGHAI = _grid(120.85, 122.0, 30.65, 31.9, 25)
CHINA = _grid(73.6, 134.7, 18.2, 53.4, 25)


# --------------------------------------------------------------------------- 1. reference pairs


@pytest.mark.parametrize(("source", "wgs", "gcj"), WGS84_GCJ02_PAIRS)
def test_wgs84_to_gcj02_matches_published(source, wgs, gcj):
    _assert_close(wgs84_to_gcj02(*wgs), gcj, REF_TOL, source)
    _assert_close(from_wgs84(*wgs, "gcj02"), gcj, REF_TOL, source)


@pytest.mark.parametrize(("source", "gcj", "bd"), GCJ02_BD09_PAIRS)
def test_gcj02_to_bd09_matches_published(source, gcj, bd):
    _assert_close(gcj02_to_bd09(*gcj), bd, REF_TOL, source)


@pytest.mark.parametrize(("source", "wgs", "bd"), WGS84_BD09_PAIRS)
def test_wgs84_to_bd09_matches_published(source, wgs, bd):
    _assert_close(wgs84_to_bd09(*wgs), bd, REF_TOL, source)
    _assert_close(from_wgs84(*wgs, "bd09"), bd, REF_TOL, source)


@pytest.mark.parametrize(("source", "wgs", "gcj"), WGS84_GCJ02_PAIRS[:5])
def test_exact_inverse_recovers_published_wgs84(source, wgs, gcj):
    # These GCJ values are published at full double precision, so the exact inverse must give the
    # original WGS84 point back to (far) better than a millimetre.
    _assert_close(gcj02_to_wgs84(*gcj), wgs, ROUND_TRIP_TOL, source)
    _assert_close(to_wgs84(*gcj, "gcj02"), wgs, ROUND_TRIP_TOL, source)


def test_published_one_step_inverses_are_close_but_ours_is_exact():
    # wandergis/coordtransform test/app.js publishes the classic one-step inverses of (116.404, 39.915):
    #   gcj02towgs84: [116.39775550083061, 39.91359571849836]
    #   bd09togcj02:  [116.39762729119315, 39.90865673957631]
    cases = [
        (gcj02_to_wgs84, wgs84_to_gcj02, (116.39775550083061, 39.91359571849836)),
        (bd09_to_gcj02, gcj02_to_bd09, (116.39762729119315, 39.90865673957631)),
    ]
    target = (116.404, 39.915)
    for inverse, forward, published in cases:
        ours = inverse(*target)
        _assert_close(ours, published, REF_TOL)  # same answer to ~0.1 m ...
        _assert_close(forward(*ours), target, 1e-9)  # ... but only ours maps back exactly,
        assert max(abs(a - b) for a, b in zip(forward(*published), target, strict=True)) > 1e-8


# --------------------------------------------------------------------------- 2. round trips


@pytest.mark.parametrize("grid", [SHANGHAI, CHINA], ids=["shanghai", "china"])
@pytest.mark.parametrize(
    ("forward", "inverse"),
    [(wgs84_to_gcj02, gcj02_to_wgs84), (gcj02_to_bd09, bd09_to_gcj02), (wgs84_to_bd09, bd09_to_wgs84)],
    ids=["gcj02", "bd09-from-gcj02", "bd09-from-wgs84"],
)
def test_scalar_round_trip_is_millimetre_exact(grid, forward, inverse):
    for lon, lat in zip(*grid, strict=True):
        back = inverse(*forward(float(lon), float(lat)))
        _assert_close(back, (lon, lat), ROUND_TRIP_TOL, (lon, lat))


@pytest.mark.parametrize("crs", CRS_CHOICES)
@pytest.mark.parametrize("grid", [SHANGHAI, CHINA], ids=["shanghai", "china"])
def test_array_round_trip_is_millimetre_exact(grid, crs):
    lon, lat = grid
    back_lon, back_lat = to_wgs84_array(*from_wgs84_array(lon, lat, crs), crs)
    assert np.max(np.abs(back_lon - lon)) < ROUND_TRIP_TOL
    assert np.max(np.abs(back_lat - lat)) < ROUND_TRIP_TOL


def test_naive_one_step_inverse_is_not_good_enough():
    # The common approximation wgs ~= gcj - (f(gcj) - gcj) is off by metres; the iteration matters.
    lon, lat = SHANGHAI
    gcj_lon, gcj_lat = from_wgs84_array(lon, lat, "gcj02")
    f_lon, f_lat = from_wgs84_array(gcj_lon, gcj_lat, "gcj02")
    naive_err = _metres(2 * gcj_lon - f_lon - lon, 2 * gcj_lat - f_lat - lat, lat)
    exact_lon, exact_lat = to_wgs84_array(gcj_lon, gcj_lat, "gcj02")
    exact_err = _metres(exact_lon - lon, exact_lat - lat, lat)
    assert naive_err.max() > 0.5
    assert exact_err.max() < 0.001


# --------------------------------------------------------------------------- 3. arrays, edges, errors


@pytest.mark.parametrize("crs", CRS_CHOICES)
def test_array_versions_agree_with_scalar_versions(crs):
    rng = np.random.default_rng(20240501)
    lon = rng.uniform(73.6, 134.7, 200)
    lat = rng.uniform(18.2, 53.4, 200)
    fwd_lon, fwd_lat = from_wgs84_array(lon, lat, crs)
    inv_lon, inv_lat = to_wgs84_array(lon, lat, crs)
    for i in range(lon.size):
        # Same formula either way (1e-12 only allows for SIMD rounding); the inverse may run a few
        # extra (better) iterations in the array version because convergence is checked array-wide.
        _assert_close(from_wgs84(lon[i], lat[i], crs), (fwd_lon[i], fwd_lat[i]), 1e-12)
        _assert_close(to_wgs84(lon[i], lat[i], crs), (inv_lon[i], inv_lat[i]), 2 * coords.TOLERANCE_DEG)


def test_array_shape_is_preserved_and_empty_input_works():
    lon = np.full((3, 4), 121.47)
    lat = np.full((3, 4), 31.23)
    out_lon, out_lat = to_wgs84_array(lon, lat, "bd09")
    assert out_lon.shape == out_lat.shape == (3, 4)
    empty_lon, empty_lat = from_wgs84_array([], [], "gcj02")
    assert empty_lon.shape == empty_lat.shape == (0,)


def test_inputs_are_not_modified():
    lon = np.array([121.47, 121.5])
    lat = np.array([31.23, 31.2])
    to_wgs84_array(lon, lat, "gcj02")
    to_wgs84_array(lon, lat, "wgs84")[0][0] = 0.0
    assert lon.tolist() == [121.47, 121.5] and lat.tolist() == [31.23, 31.2]


@pytest.mark.parametrize(
    "point",
    [(2.3522, 48.8566), (-74.006, 40.7128), (151.2093, -33.8688), (139.6917, 35.6895), (-0.1278, 51.5074)],
)
def test_outside_china_gcj02_is_unchanged_but_bd09_still_shifts(point):
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point
    lon, lat = from_wgs84_array([point[0]], [point[1]], "gcj02")
    assert (lon[0], lat[0]) == point
    bd = gcj02_to_bd09(*point)
    assert abs(bd[0] - point[0]) > 1e-3 or abs(bd[1] - point[1]) > 1e-3
    _assert_close(bd09_to_gcj02(*bd), point, ROUND_TRIP_TOL)


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (math.nan, 31.0),
        (121.0, math.inf),
        (-math.inf, 31.0),
        (180.5, 31.0),
        (-181.0, 31.0),
        (121.0, 90.01),
        (121.0, -91.0),
    ],
)
def test_bad_coordinates_raise_value_error(lon, lat):
    for fn in (wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, wgs84_to_bd09, bd09_to_wgs84):
        with pytest.raises(ValueError, match="Invalid (longitude|latitude)"):
            fn(lon, lat)
    with pytest.raises(ValueError, match="Invalid"):
        to_wgs84(lon, lat, "gcj02")
    with pytest.raises(ValueError, match="Invalid"):
        from_wgs84_array([121.0, lon], [31.0, lat], "bd09")


def test_unknown_crs_raises_value_error():
    with pytest.raises(ValueError, match="Unknown coordinate reference system 'epsg:4326'"):
        to_wgs84(121.0, 31.0, "epsg:4326")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unknown coordinate reference system"):
        from_wgs84(121.0, 31.0, "BD09")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unknown coordinate reference system"):
        to_wgs84_array([121.0], [31.0], "mars")  # type: ignore[arg-type]


def test_mismatched_array_shapes_raise_value_error():
    with pytest.raises(ValueError, match="shapes differ"):
        to_wgs84_array([121.0, 121.1], [31.0], "gcj02")
