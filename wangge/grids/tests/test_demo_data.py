"""Tests for wangge.grids.demo_data (pure Python, no Django needed)."""

import json
import math
import re

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from wangge.grids import demo_data

R = 6371008.8


def to_metres(geom, centre=(121.435, 31.245)):
    """Independent equirectangular projection (does not reuse the module's helpers)."""
    kx = R * math.cos(math.radians(centre[1])) * math.pi / 180
    ky = R * math.pi / 180
    return shapely.transform(geom, lambda c: (c - np.array(centre)) * np.array([kx, ky]))


def area_m2(geom):
    return float(shapely.area(to_metres(geom)))


@pytest.fixture(scope="module")
def street():
    return demo_data.generate_street()


@pytest.fixture(scope="module")
def boundary(street):
    return shape(street["jurisdiction"]["boundary"])


@pytest.fixture(scope="module")
def grids(street):
    return {g["code"]: shape(g["geometry"]) for g in street["grids"]}


def all_polygons(street):
    yield "boundary", street["jurisdiction"]["boundary"]
    yield "gap", street["imperfections"]["gap"]
    for g in street["grids"]:
        yield g["code"], g["geometry"]
    for layer in street["layers"]:
        for u in layer["units"]:
            yield f"{layer['code']}/{u['code']}", u["geometry"]


def test_deterministic_and_json_serialisable(street):
    again = demo_data.generate_street()
    assert json.dumps(again, ensure_ascii=False) == json.dumps(street, ensure_ascii=False)
    other = demo_data.generate_street(seed=1)
    assert other["seed"] == 1
    assert json.dumps(other) != json.dumps(street)


def test_other_seeds_keep_invariants():
    for seed in (1, 2, 3):
        s = demo_data.generate_street(seed)
        assert 30 <= len(s["grids"]) <= 50
        assert 3e6 <= area_m2(shape(s["jurisdiction"]["boundary"])) <= 5e6
        assert 500 <= s["imperfections"]["overlap"]["area_m2"] <= 3000


def test_jurisdiction(street, boundary):
    j = street["jurisdiction"]
    assert j["code"] == "310107015" and j["name"]
    assert 3e6 <= area_m2(boundary) <= 5e6
    assert 12 <= len(boundary.exterior.coords) - 1 <= 20
    assert not shapely.equals(boundary, boundary.envelope)
    lon, lat = boundary.centroid.coords[0]
    assert abs(lon - 121.435) < 0.02 and abs(lat - 31.245) < 0.02


def test_polygons_valid_rounded_ccw_and_inside(street, boundary):
    shapely.prepare(boundary)
    for name, gj in all_polygons(street):
        assert gj["type"] == "Polygon", name
        poly = shape(gj)
        assert shapely.is_valid(poly), name
        assert poly.exterior.is_ccw, name
        coords = np.array([c for ring in gj["coordinates"] for c in ring])
        assert np.array_equal(np.round(coords, 7), coords), name
        # rounding-aware containment: vertices are nudged inwards, so this holds exactly
        assert boundary.buffer(1e-9).covers(poly), name
        assert area_m2(shapely.difference(poly, boundary)) < 1e-6, name


def test_grids(street, grids):
    assert 30 <= len(street["grids"]) <= 50
    codes = [g["code"] for g in street["grids"]]
    assert len(set(codes)) == len(codes)
    assert len({g["name"] for g in street["grids"]}) == len(codes)
    assert all(re.fullmatch(r"WG-\d{2}", c) for c in codes)
    assert all(g["name"].endswith("网格") for g in street["grids"])
    assert {g["kind"] for g in street["grids"]} <= set(demo_data.GRID_KINDS)


def test_grids_tile_boundary_except_gap(street, boundary, grids):
    gap = shape(street["imperfections"]["gap"])
    gap_area = area_m2(gap)
    assert street["imperfections"]["gap_area_m2"] == pytest.approx(gap_area, rel=1e-6)
    assert 5_000 <= gap_area <= 20_000
    assert boundary.contains(gap)
    union = shapely.union_all(list(grids.values()))
    assert area_m2(boundary) - area_m2(union) == pytest.approx(gap_area, rel=0.01)
    assert area_m2(shapely.intersection(union, gap)) < 1.0  # no grid covers the gap
    # rounding to 7 decimals (~1 cm) leaves only hairline slivers along the boundary
    assert area_m2(shapely.difference(boundary, shapely.union(union, gap))) < 1e-5 * area_m2(boundary)


def test_exactly_the_declared_overlap(street, grids):
    ov = street["imperfections"]["overlap"]
    a, b = ov["grids"]
    assert a in grids and b in grids and a != b
    assert 500 <= ov["area_m2"] <= 3000
    assert area_m2(shapely.intersection(grids[a], grids[b])) == pytest.approx(ov["area_m2"], rel=0.01)
    tree = shapely.STRtree(list(grids.values()))
    keys = list(grids)
    for i, j in zip(*tree.query(list(grids.values()), predicate="intersects"), strict=True):
        if i < j and {keys[i], keys[j]} != {a, b}:
            assert area_m2(shapely.intersection(grids[keys[i]], grids[keys[j]])) < 0.5, (keys[i], keys[j])


def test_departments(street):
    depts = street["departments"]
    codes = [d["code"] for d in depts]
    assert len(set(codes)) == len(codes)
    kinds = [d["kind"] for d in depts]
    for k in (
        "operations",
        "urban_management",
        "police",
        "market",
        "community",
        "disabled",
        "union",
        "party",
    ):
        assert k in kinds, k
    assert 2 <= kinds.count("property") <= 4
    community_layer = next(layer for layer in street["layers"] if layer["code"] == "community")
    assert kinds.count("community") == len(community_layer["units"])


def test_layers(street, boundary, grids):
    layers = {layer["code"]: layer for layer in street["layers"]}
    assert len(layers) >= 6
    expected = {
        "police": (8, 14),
        "urban": (5, 8),
        "market": (3, 5),
        "community": (12, 18),
        "party": (8, 12),
        "property": (15, 25),
    }
    dept_kind = {d["code"]: d["kind"] for d in street["departments"]}
    grid_polys = list(grids.values())
    for code, (lo, hi) in expected.items():
        layer = layers[code]
        units = [shape(u["geometry"]) for u in layer["units"]]
        assert lo <= len(units) <= hi, code
        assert len({u["code"] for u in layer["units"]}) == len(units)
        for u, p in zip(layer["units"], units, strict=True):
            assert u["name"], code
            assert u["department"] is None or u["department"] in dept_kind
            assert not any(shapely.equals(p, g) for g in grid_polys), (code, u["code"])
        union = shapely.union_all(units)
        if code == "property":  # islands, not a tiling
            assert area_m2(union) < 0.5 * area_m2(boundary)
            assert sum(map(area_m2, units)) == pytest.approx(area_m2(union), rel=1e-6)
            assert all(dept_kind[u["department"]] == "property" for u in layer["units"])
        else:  # a tiling of the boundary whose edges do not follow the grid edges
            assert area_m2(union) == pytest.approx(area_m2(boundary), rel=1e-4)
            assert sum(map(area_m2, units)) == pytest.approx(area_m2(boundary), rel=1e-4)
            inner = to_metres(
                shapely.difference(
                    shapely.union_all([p.boundary for p in units]), boundary.exterior.buffer(1e-6)
                )
            )
            grid_edges = to_metres(shapely.union_all([g.boundary for g in grid_polys])).buffer(1.0)
            assert inner.intersection(grid_edges).length < 0.2 * inner.length, code
    assert {dept_kind[u["department"]] for u in layers["police"]["units"]} == {"police"}
    assert all(dept_kind[u["department"]] == "community" for u in layers["community"]["units"])


def test_people(street):
    people = street["people"]
    grid_codes = {g["code"] for g in street["grids"]}
    dept_codes = {d["code"] for d in street["departments"]}
    for p in people:
        assert re.fullmatch(r"1[358]\d{9}", p["phone"]), p
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", p["name"]), p
        assert p["role"] in {"grid_worker", "liaison", "handler", "operator", "leader"}
        assert p["department"] is None or p["department"] in dept_codes
        assert set(p["grids"]) <= grid_codes
    assert len({p["phone"] for p in people}) == len(people)
    workers = [p for p in people if p["role"] == "grid_worker"]
    liaisons = [p for p in people if p["role"] == "liaison"]
    assert all(1 <= len(p["grids"]) <= 2 for p in workers)
    assert any(len(p["grids"]) == 2 for p in workers)
    assert all(2 <= len(p["grids"]) <= 4 for p in liaisons)
    for code in grid_codes:
        assert sum(code in p["grids"] for p in workers) >= 1, code
        assert sum(code in p["grids"] for p in liaisons) == 1, code
    usernames = [p["username"] for p in people if p["username"]]
    assert len(set(usernames)) == len(usernames)
    for u in (
        "operator",
        "operator2",
        "leader",
        "h-urban",
        "h-police",
        "h-market",
        "h-community",
        "h-property",
        "h-disabled",
        "h-union",
        "h-party",
    ):
        assert u in usernames, u
    assert all(re.fullmatch(r"gw\d{2}", p["username"]) for p in workers)


def test_generate_city_small():
    city = demo_data.generate_city(n_grids=500, n_layers=2, units_per_layer=300)
    boundary = city["boundary"]
    assert boundary.geom_type == "Polygon" and boundary.is_valid
    lon, lat = boundary.centroid.coords[0]
    assert 120.5 < lon < 122.5 and 30.5 < lat < 32
    assert len(city["grids"]) == 500 and len(city["layers"]) == 2
    assert all(len(layer) == 300 for layer in city["layers"])
    for cells in [city["grids"], *city["layers"]]:
        assert isinstance(cells, np.ndarray)
        assert np.all(shapely.get_type_id(cells) == 3) and np.all(shapely.is_valid(cells))
        union = shapely.union_all(cells)
        assert union.area == pytest.approx(boundary.area, rel=1e-3)
        assert shapely.area(cells).sum() == pytest.approx(boundary.area, rel=1e-3)
    km2 = float(shapely.area(to_metres(boundary, demo_data.CITY_CENTRE))) / 1e6
    assert 0.8 * 150 <= km2 <= 1.2 * 150
    again = demo_data.generate_city(n_grids=500, n_layers=2, units_per_layer=300)
    assert all(a.equals_exact(b, 0) for a, b in zip(city["grids"], again["grids"], strict=True))


def test_random_points_in():
    lons, lats = demo_data.random_points_in((121.0, 31.0, 121.5, 31.5), 1000, seed=3)
    assert lons.shape == lats.shape == (1000,)
    assert lons.min() >= 121.0 and lons.max() <= 121.5 and lats.min() >= 31.0 and lats.max() <= 31.5
    again = demo_data.random_points_in((121.0, 31.0, 121.5, 31.5), 1000, seed=3)
    assert np.array_equal(lons, again[0]) and np.array_equal(lats, again[1])
