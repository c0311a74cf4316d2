"""Deterministic demo and benchmark geodata for the wangge grid-governance app.

Pure Python (shapely 2 + numpy), no Django imports.  Everything is built in a
local metric frame (equirectangular around a centre point) and converted to
WGS84 lon/lat at the end.  Street output is plain data (GeoJSON dicts with
coordinates rounded to 7 decimals, valid polygons, CCW outer rings); city
output is shapely arrays for benchmarks.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import Polygon

R_EARTH = 6371008.8
STREET_CENTRE = (121.435, 31.245)  # Putuo district, around Changshou Road
CITY_CENTRE = (121.47, 31.23)
PRECISION = 7
GRID_KINDS = ("residential", "commercial", "mixed", "industrial", "public")
_STEP = 10.0**-PRECISION

STEMS = tuple(
    "梅岭 长寿 西康 常德 江宁 胶州 延平 昌化 莫干山 澳门 安远 宜昌 叶家宅 普陀 镇坪 武宁 苏河 海防 新会 顺义 长寿湾 万春".split()
)
COMMUNITIES = tuple(
    "梅岭 长寿新村 西康 普陀新村 安远 武宁 胶州 常德 昌化 延平 海防 苏河湾 叶家宅 大自鸣钟 宜昌 莫干山 澳门 光复 新会 顺义".split()
)
COMPOUNDS = tuple(
    "两湾城一期 两湾城二期 两湾城三期 梅岭苑 长寿新村 西康公寓 普陀新村 海防村 大自鸣钟花苑 苏河湾名邸 莫干山公寓 宜昌小区 叶家宅小区 武宁小区 新会公寓 澳门路公寓 常德苑 安远小区 昌化新村 胶州花园 延平公寓 锦绣苑 绿洲苑 和泰花园 春晓苑 金沙苑 长寿湾花园 西康苑 顺义新村 万春苑".split()
)
PROPERTY_COMPANIES = tuple(
    "上海中远物业管理有限公司 上海苏河物业服务有限公司 上海长寿物业管理有限公司 上海普宁物业服务有限公司".split()
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁沈顾陆钱汪姚"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉志宏海燕鹏俊峰琳欣怡晨浩宇佳慧"
CN_NUM = "一二三四五六七八九十"
DEPT_KINDS = "operations urban_management police market community property disabled union party".split()
HANDLER_USERNAMES = {k: "h-urban" if k == "urban_management" else f"h-{k}" for k in DEPT_KINDS}


# --------------------------------------------------------------------------- projection
def _k(centre):
    """Metres per degree of longitude and latitude at the centre."""
    lat0 = math.radians(centre[1])
    return R_EARTH * math.cos(lat0) * math.pi / 180.0, R_EARTH * math.pi / 180.0


def local_to_lonlat(x, y, centre=STREET_CENTRE):
    kx, ky = _k(centre)
    return centre[0] + np.asarray(x) / kx, centre[1] + np.asarray(y) / ky


def lonlat_to_local(lon, lat, centre=STREET_CENTRE):
    kx, ky = _k(centre)
    return (np.asarray(lon) - centre[0]) * kx, (np.asarray(lat) - centre[1]) * ky


def geoms_to_lonlat(geoms, centre=STREET_CENTRE):
    return shapely.transform(geoms, lambda c: np.column_stack(local_to_lonlat(c[:, 0], c[:, 1], centre)))


def geoms_to_local(geoms, centre=STREET_CENTRE):
    return shapely.transform(geoms, lambda c: np.column_stack(lonlat_to_local(c[:, 0], c[:, 1], centre)))


def random_points_in(bounds, n, seed):
    """Uniform random points in (minx, miny, maxx, maxy); returns (lons, lats) arrays."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = bounds
    return rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)


# --------------------------------------------------------------------------- geometry helpers
def _dart(rng, region, n, min_dist, max_tries=40_000):
    """Dart throwing: n points inside region, pairwise at least min_dist apart."""
    minx, miny, maxx, maxy = region.bounds
    shapely.prepare(region)
    pts, tries = [], 0
    while len(pts) < n and tries < max_tries:
        batch = rng.uniform([minx, miny], [maxx, maxy], size=(256, 2))
        tries += 256
        for p in batch[shapely.contains_xy(region, batch[:, 0], batch[:, 1])]:
            if not pts or np.min(np.hypot(*(np.asarray(pts) - p).T)) >= min_dist:
                pts.append(p)
                if len(pts) == n:
                    break
    if len(pts) < n:
        raise RuntimeError("could not place points")
    return np.asarray(pts)


def _voronoi(pts, region, ordered=True):
    env = region.buffer(max(region.bounds[2] - region.bounds[0], 1.0)).envelope
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=env, ordered=ordered)
    )
    return shapely.intersection(cells, region)


def _tessellate(rng, region, n, lloyd=2):
    """Voronoi tessellation of n relaxed random points clipped to region (all single Polygons)."""
    for _ in range(50):
        pts = _dart(rng, region, n, 0.6 * math.sqrt(region.area / n))
        for it in range(lloyd + 1):
            cells = _voronoi(pts, region)
            if it < lloyd:
                c = shapely.centroid(cells)
                bad = ~shapely.contains(region, c)
                c[bad] = shapely.point_on_surface(cells[bad])
                pts = shapely.get_coordinates(c)
        areas = shapely.area(cells)
        if np.all(shapely.get_type_id(cells) == 3) and areas.min() > 0.25 * areas.mean():
            # number units in reading order: north-to-south bands, west-to-east within a band
            c = shapely.get_coordinates(shapely.point_on_surface(cells))
            band = np.floor((c[:, 1].max() - c[:, 1]) / (1.5 * math.sqrt(region.area / n)))
            return cells[np.lexsort((c[:, 0], band))]
    raise RuntimeError("tessellation failed")


def _polygonal(g):
    """Largest polygon of a geometry (used after make_valid / set_precision)."""
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    parts = [q for p in parts for q in shapely.get_parts(p)]
    return max(parts, key=lambda p: p.area)


_OFFSETS = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)]
_OFFSETS += [(dx, dy) for dx in range(-2, 3) for dy in range(-2, 3) if max(abs(dx), abs(dy)) == 2]


def _finish(geoms, boundary, hole=None):
    """Round to 7 decimals, nudge vertices (by value, so shared vertices stay shared) that rounding
    pushed outside `boundary` or into `hole`, repair invalid polygons, orient outer rings CCW."""
    geoms = shapely.remove_repeated_points(shapely.transform(geoms, lambda c: np.round(c, PRECISION)))
    coords = shapely.get_coordinates(geoms)

    def ok(x, y):
        good = shapely.intersects_xy(boundary, x, y)
        return good & ~shapely.contains_xy(hole, x, y) if hole is not None else good

    for i in np.flatnonzero(~ok(coords[:, 0], coords[:, 1])):
        x, y = coords[i]
        cand = np.round(np.array([[x + dx * _STEP, y + dy * _STEP] for dx, dy in _OFFSETS]), PRECISION)
        good = np.flatnonzero(ok(cand[:, 0], cand[:, 1]))
        if len(good):
            coords[i] = cand[good[0]]
    geoms = shapely.set_coordinates(geoms.copy(), coords)
    for i in np.flatnonzero(~shapely.is_valid(geoms)):
        g = _polygonal(shapely.set_precision(_polygonal(shapely.make_valid(geoms[i])), _STEP))
        geoms[i] = shapely.transform(g, lambda c: np.round(c, PRECISION))
    return shapely.orient_polygons(geoms, exterior_cw=False)


def _round(g):
    return shapely.orient_polygons(shapely.transform(g, lambda c: np.round(c, PRECISION)), exterior_cw=False)


def _gj(poly):
    rings = [poly.exterior, *poly.interiors]
    return {
        "type": "Polygon",
        "coordinates": [np.round(shapely.get_coordinates(r), PRECISION).tolist() for r in rings],
    }


def _unit(code, name, department, poly):
    return {"code": code, "name": name, "department": department, "geometry": _gj(poly)}


def _layer(code, name, kind, department, units):
    return {"code": code, "name": name, "kind": kind, "department": department, "units": units}


def area_m2(geom_ll, centre=STREET_CENTRE):
    return float(shapely.area(geoms_to_local(geom_ll, centre)))


# --------------------------------------------------------------------------- street parts
def _street_boundary(rng):
    n = int(rng.integers(14, 19))
    ang = rng.uniform(0, 2 * np.pi) + (np.arange(n) + rng.uniform(-0.3, 0.3, n)) * 2 * np.pi / n
    rad = 1.0 + rng.uniform(-0.15, 0.15, n)
    poly = Polygon(np.column_stack([1.25 * rad * np.cos(ang), 0.8 * rad * np.sin(ang)]))
    s = math.sqrt(rng.uniform(3.5e6, 4.5e6) / poly.area)
    return affinity.scale(poly, s, s, origin=(0, 0))


def _cut_gap(rng, cells, boundary):
    """Cut a park (梦清园-like green) centred on an interior Voronoi vertex out of the grid cells."""
    t = np.linspace(0, 2 * np.pi, 14, endpoint=False)
    a, b = rng.uniform(70, 100), rng.uniform(30, 45)
    jit = 1 + rng.uniform(-0.08, 0.08, len(t))
    shape = affinity.rotate(
        Polygon(np.column_stack([a * jit * np.cos(t), b * jit * np.sin(t)])),
        rng.uniform(0, 180),
        origin=(0, 0),
    )
    verts = np.unique(shapely.get_coordinates(cells), axis=0)
    far = shapely.distance(boundary.exterior, shapely.points(verts)) > 300
    for v in verts[far][rng.permutation(int(far.sum()))]:
        gap = affinity.translate(shape, *v)
        cut = shapely.difference(cells, gap)
        if np.all(shapely.get_type_id(cut) == 3) and np.all(shapely.get_num_interior_rings(cut) == 0):
            return cut, gap
    raise RuntimeError("no place for the gap")


def _add_overlap(rng, cells, gap):
    """Let grid i bulge into neighbour j (a half-disc on their shared edge): one disputed overlap."""
    tree = shapely.STRtree(cells)
    li, lj = tree.query(cells, predicate="touches")
    pairs = [(i, j) for i, j in zip(li, lj, strict=True) if i < j]
    for k in rng.permutation(len(pairs)):
        i, j = pairs[k]
        shared = shapely.line_merge(shapely.intersection(cells[i].boundary, cells[j].boundary))
        lines = [p for p in shapely.get_parts(shared) if p.geom_type == "LineString"]
        if not lines:
            continue
        line = max(lines, key=lambda p: p.length)
        if line.length < 120 or line.distance(gap) < 150:
            continue
        r = math.sqrt(2 * rng.uniform(900, 2400) / math.pi)
        piece = shapely.intersection(line.interpolate(0.5, normalized=True).buffer(r, 8), cells[j])
        grown = shapely.union(cells[i], piece)
        # skip bulges whose hairline arc/edge crossings would self-intersect once rounded to 7 decimals
        if grown.geom_type == "Polygon" and not grown.interiors and _round(geoms_to_lonlat(grown)).is_valid:
            cells = cells.copy()
            cells[i] = grown
            return cells, (int(i), int(j))
    raise RuntimeError("no place for the overlap")


def _compounds(rng, boundary, gap, n):
    """Residential compounds: small jittered, rotated rectangles, disjoint islands inside the street."""
    region = shapely.difference(boundary.buffer(-120), gap.buffer(150))
    out = []
    for cx, cy in _dart(rng, region, n, 230):
        w, h = rng.uniform(80, 150) / 2, rng.uniform(60, 120) / 2
        corners = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) + rng.uniform(-6, 6, (4, 2))
        out.append(
            affinity.translate(affinity.rotate(Polygon(corners), rng.uniform(0, 90), origin=(0, 0)), cx, cy)
        )
    return np.array(out, dtype=object)


def _cn(i):
    return CN_NUM[i - 1] if i <= 10 else ("十" + CN_NUM[i - 11] if i < 20 else str(i))


def _place_names(rng, geoms, suffix):
    """Unique names from road stems: nearest-anchor groups get 北/南, 东/西 or 一二三 suffixes."""
    pts = shapely.get_coordinates(shapely.point_on_surface(geoms))
    k = min(len(STEMS), max(2, round(len(pts) / 2.5)))
    stems = [STEMS[s] for s in rng.choice(len(STEMS), k, replace=False)]
    anchors = pts[rng.choice(len(pts), k, replace=False)]
    owner = np.argmin(np.hypot(*(pts[:, None, :] - anchors[None, :, :]).transpose(2, 0, 1)), axis=1)
    names = [""] * len(pts)
    for a, stem in enumerate(stems):
        idx = sorted(np.flatnonzero(owner == a), key=lambda i: (-pts[i, 1], pts[i, 0]))
        if len(idx) == 1:
            names[idx[0]] = stem + suffix
        elif len(idx) == 2:
            (x0, y0), (x1, y1) = pts[idx[0]], pts[idx[1]]
            if abs(y0 - y1) >= abs(x0 - x1):
                names[idx[0]], names[idx[1]] = stem + "北" + suffix, stem + "南" + suffix
            else:
                e, w = (idx[0], idx[1]) if x0 > x1 else (idx[1], idx[0])
                names[e], names[w] = stem + "东" + suffix, stem + "西" + suffix
        else:
            for n, i in enumerate(idx, 1):
                names[i] = stem + _cn(n) + suffix
    return names


def _people_factory(rng):
    used_names, used_phones = set(), set()

    def person(role, department=None, grids=(), username=None):
        while True:
            name = SURNAMES[rng.integers(len(SURNAMES))] + "".join(
                GIVEN[j] for j in rng.integers(len(GIVEN), size=int(rng.integers(1, 3)))
            )
            if name not in used_names:
                break
        while True:
            phone = ("13", "15", "18")[rng.integers(3)] + "".join(str(d) for d in rng.integers(10, size=9))
            if phone not in used_phones:
                break
        used_names.add(name)
        used_phones.add(phone)
        keys = ("name", "phone", "role", "department", "grids", "username")
        return dict(zip(keys, (name, phone, role, department, list(grids), username), strict=True))

    return person


# --------------------------------------------------------------------------- public API
def generate_street(seed: int = 20261125) -> dict:
    """A demo 街道 (jurisdiction, grids, departments, departmental layers, people) as plain data."""
    rng = np.random.default_rng(seed)
    bnd_m = _street_boundary(rng)
    cells = _tessellate(rng, bnd_m, int(rng.integers(34, 47)))
    cells, gap_m = _cut_gap(rng, cells, bnd_m)
    cells, (oi, oj) = _add_overlap(rng, cells, gap_m)
    boundary = _round(geoms_to_lonlat(bnd_m))
    gap = _round(geoms_to_lonlat(gap_m))
    shapely.prepare(boundary)
    shapely.prepare(gap)
    grids_ll = _finish(geoms_to_lonlat(cells), boundary, gap)
    n = len(grids_ll)
    codes = [f"WG-{i + 1:02d}" for i in range(n)]
    names = _place_names(rng, cells, "网格")
    kinds = list(GRID_KINDS) + list(
        rng.choice(GRID_KINDS, n - len(GRID_KINDS), p=[0.55, 0.15, 0.2, 0.03, 0.07])
    )
    kinds = [str(kinds[i]) for i in rng.permutation(n)]
    grids = [
        {"code": codes[i], "name": names[i], "kind": kinds[i], "geometry": _gj(grids_ll[i])} for i in range(n)
    ]

    # departments
    n_comm, n_prop = int(rng.integers(12, 19)), int(rng.integers(2, 5))
    comm_names = [COMMUNITIES[i] for i in rng.choice(len(COMMUNITIES), n_comm, replace=False)]
    depts = [
        ("CYZX", "长寿路街道城市运行管理中心", "operations"),
        ("ZFD", "长寿路街道综合行政执法队", "urban_management"),
        ("PCS-01", "长寿路派出所", "police"),
        ("PCS-02", "宜昌路派出所", "police"),
        ("SJS", "长寿路市场监管所", "market"),
        *[(f"JW-{i + 1:02d}", f"{c}居委会", "community") for i, c in enumerate(comm_names)],
        *[(f"WY-{i + 1:02d}", PROPERTY_COMPANIES[i], "property") for i in range(n_prop)],
        ("CL", "长寿路街道残疾人联合会", "disabled"),
        ("GH", "长寿路街道新就业形态劳动者工会联合会", "union"),
        ("DQ", "长寿路街道党群服务中心", "party"),
    ]
    depts = [dict(zip(("code", "name", "kind"), d, strict=True)) for d in depts]

    # departmental layers (independent tessellations, clipped to the boundary; gap not cut)
    def tiling(code, name, kind, dept, lo, hi, prefix, suffix):
        ms = _tessellate(rng, bnd_m, int(rng.integers(lo, hi + 1)))
        ll = _finish(geoms_to_lonlat(ms), boundary)
        unames = _place_names(rng, ms, suffix)
        units = [_unit(f"{prefix}-{i + 1:02d}", unames[i], dept, g) for i, g in enumerate(ll)]
        return _layer(code, name, kind, dept, units), ms, ll

    police, pm, _ = tiling("police", "派出所警格", "police", None, 8, 14, "JG", "警格")
    direction = rng.normal(size=2)
    proj = shapely.get_coordinates(shapely.point_on_surface(pm)) @ direction
    for u, p in zip(police["units"], proj, strict=True):
        u["department"] = "PCS-01" if p <= np.median(proj) else "PCS-02"
    urban = tiling("urban", "城管网格", "urban_management", "ZFD", 5, 8, "CG", "城管责任区")[0]
    market = tiling("market", "市场监管网格", "market", "SJS", 3, 5, "SJ", "市场监管片区")[0]
    ms = _tessellate(rng, bnd_m, n_comm)
    comm_ll = _finish(geoms_to_lonlat(ms), boundary)
    units = [
        _unit(f"JMQ-{i + 1:02d}", f"{comm_names[i]}居民区", f"JW-{i + 1:02d}", g)
        for i, g in enumerate(comm_ll)
    ]
    community = _layer("community", "居民区/居委", "community", None, units)
    party = tiling("party", "党建网格", "party", "DQ", 8, 12, "DJ", "党建网格")[0]
    n_cpd = int(rng.integers(15, 26))
    cpd_ll = _finish(geoms_to_lonlat(_compounds(rng, bnd_m, gap_m, n_cpd)), boundary, gap)
    cpd_names = [COMPOUNDS[i] for i in rng.choice(len(COMPOUNDS), n_cpd, replace=False)]
    cpd_dept = [f"WY-{int(d) + 1:02d}" for d in rng.integers(n_prop, size=n_cpd)]
    units = [_unit(f"XQ-{i + 1:02d}", cpd_names[i], cpd_dept[i], g) for i, g in enumerate(cpd_ll)]
    prop = _layer("property", "物业小区", "property", None, units)
    layers = [police, urban, market, community, party, prop]

    # people
    person = _people_factory(rng)
    tree = shapely.STRtree(comm_ll)
    reps = shapely.point_on_surface(grids_ll)
    comm_of = {}
    for gi, ci in zip(*tree.query(reps, predicate="intersects"), strict=True):
        comm_of.setdefault(int(gi), int(ci))
    people = [
        person("grid_worker", f"JW-{comm_of.get(i, 0) + 1:02d}", [codes[i]], f"gw{i + 1:02d}")
        for i in range(n)
    ]
    mtree = shapely.STRtree(cells)
    for w in rng.choice(n, int(rng.integers(3, 6)), replace=False):
        nb = [int(j) for j in mtree.query(cells[w], predicate="touches") if j != w]
        people[w]["grids"].append(codes[nb[int(rng.integers(len(nb)))]])
    c = shapely.get_coordinates(shapely.point_on_surface(cells))
    band = np.floor((c[:, 1] - c[:, 1].min()) / 500).astype(int)
    order = sorted(range(n), key=lambda i: (band[i], c[i, 0] * (1 if band[i] % 2 == 0 else -1)))
    start = 0
    while start < n:
        left = n - start
        size = left if left <= 4 else int(rng.choice([s for s in (2, 3, 4) if left - s != 1]))
        people.append(person("liaison", None, [codes[i] for i in order[start : start + size]]))
        start += size
    seen_kinds = set()
    for d in depts:
        uname = HANDLER_USERNAMES[d["kind"]] if d["kind"] not in seen_kinds else None
        seen_kinds.add(d["kind"])
        people.append(person("handler", d["code"], (), uname))
    people.append(person("handler", "ZFD"))
    people += [
        person("operator", "CYZX", (), "operator"),
        person("operator", "CYZX", (), "operator2"),
        person("leader", None, (), "leader"),
    ]

    return {
        "seed": seed,
        "centre": list(STREET_CENTRE),
        "jurisdiction": {"code": "310107015", "name": "长寿路街道", "boundary": _gj(boundary)},
        "grids": grids,
        "imperfections": {
            "gap": _gj(gap),
            "gap_name": "梦清园绿地",
            "gap_area_m2": area_m2(gap),
            "overlap": {
                "grids": [codes[oi], codes[oj]],
                "area_m2": area_m2(shapely.intersection(grids_ll[oi], grids_ll[oj])),
            },
        },
        "departments": depts,
        "layers": layers,
        "people": people,
    }


def _city_cells(rng, boundary, n):
    """Voronoi cells of n jittered-lattice points inside a convex boundary (tiles it exactly)."""
    minx, miny, maxx, maxy = boundary.bounds
    w, h = maxx - minx, maxy - miny
    m = n * w * h / boundary.area * 1.05
    while True:
        cols = math.ceil(math.sqrt(m * w / h))
        rows = math.ceil(m / cols)
        gx, gy = np.meshgrid(np.arange(cols) + 0.5, np.arange(rows) + 0.5)
        x = minx + (gx.ravel() + rng.uniform(-0.4, 0.4, gx.size)) * w / cols
        y = miny + (gy.ravel() + rng.uniform(-0.4, 0.4, gy.size)) * h / rows
        inside = np.flatnonzero(shapely.contains_xy(boundary, x, y))
        if len(inside) >= n:
            break
        m *= 1.1
    keep = np.sort(rng.choice(inside, n, replace=False))
    return _voronoi(np.column_stack([x[keep], y[keep]]), boundary, ordered=False)


def generate_city(
    n_grids: int = 10_000, n_layers: int = 8, units_per_layer: int = 10_000, seed: int = 7
) -> dict:
    """City-scale benchmark territory (~n_grids * 0.3 km²) as shapely arrays in WGS84 lon/lat."""
    rng = np.random.default_rng(seed)
    half = math.sqrt(n_grids * 0.3e6) / 2
    base = np.array([[-1, -1], [0, -1], [1, -1], [1, 0], [1, 1], [0, 1], [-1, 1], [-1, 0]], float)
    base *= half * (1 + rng.uniform(-0.05, 0.05, (8, 1)))
    boundary = shapely.convex_hull(shapely.multipoints(base))
    shapely.prepare(boundary)
    grids = _city_cells(rng, boundary, n_grids)
    layers = [_city_cells(rng, boundary, units_per_layer) for _ in range(n_layers)]
    return {
        "boundary": geoms_to_lonlat(boundary, CITY_CENTRE),
        "grids": geoms_to_lonlat(grids, CITY_CENTRE),
        "layers": [geoms_to_lonlat(layer, CITY_CENTRE) for layer in layers],
    }
