"""Demo address gazetteer for the demo street: roads across the street and their 门牌 (house numbers, 弄, 支弄).

Deterministic, in the style of `demo_data`: built in local metres around the street centre, converted to WGS84.
Roads run roughly east–west and north–south (the grid of Puxi streets, turned a little); house numbers are odd on
one side and even on the other, numbered from the east end (east–west roads) or the south end (north–south
roads), with gaps; every few numbers a lane (弄) opens with its houses (1号, 2号 …), a few with sub-lanes (支弄)
or numbered buildings (号楼), and a few split numbers (123-1号).
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import LineString

from wangge.grids.demo_data import STREET_CENTRE, geoms_to_local, local_to_lonlat

EAST_WEST = ("宜昌路", "安远路", "长寿路", "澳门路", "普雄路", "光复西路")
NORTH_SOUTH = ("梅岭北路", "叶家宅路", "莫干山路", "西康路", "常德路", "陕西北路", "胶州路", "江宁路", "昌化路", "延平路")
SIDE_OFFSET_M = 12.0


def _roads(rng, boundary_m) -> list[tuple[str, LineString]]:
    """Named centre lines (local metres), clipped to the street."""
    minx, miny, maxx, maxy = boundary_m.bounds
    angle = math.radians(rng.uniform(-10, -5))
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    span = 2.5 * max(maxx - minx, maxy - miny)
    inner = boundary_m.buffer(-20)
    out = []

    def family(names, across: bool, lo: float, hi: float):
        n = len(names)
        positions = np.linspace(lo, hi, n + 2)[1:-1] + rng.uniform(-25, 25, n)
        for name, pos in zip(names, positions, strict=True):
            t = np.linspace(-span / 2, span / 2, 9)
            wobble = rng.uniform(-18, 18, len(t))
            xs, ys = (t, pos + wobble) if across else (pos + wobble, t)
            # east–west roads are numbered from the east, north–south roads from the south
            pts = np.column_stack([xs, ys])[::-1] if across else np.column_stack([xs, ys])
            rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
            pts = pts @ rot.T + [cx, cy]  # offsets are from the centre of the street's bounding box
            clipped = shapely.intersection(LineString(pts), inner)
            parts = [g for g in shapely.get_parts(clipped) if g.geom_type == "LineString"]
            if not parts:
                continue
            line = max(parts, key=lambda g: g.length)
            if line.length >= 300:
                out.append((name, line))

    family(EAST_WEST, True, miny - cy, maxy - cy)
    family(NORTH_SOUTH, False, minx - cx, maxx - cx)
    return out


def _normal(line: LineString, s: float) -> tuple[np.ndarray, np.ndarray]:
    """Point at arc length s and the unit normal to the left of the direction of travel."""
    a, b = line.interpolate(max(0.0, s - 2)), line.interpolate(min(line.length, s + 2))
    d = np.array([b.x - a.x, b.y - a.y])
    d /= np.linalg.norm(d) or 1.0
    p = line.interpolate(s)
    return np.array([p.x, p.y]), np.array([-d[1], d[0]])


def generate_addresses(boundary: dict, seed: int = 20261125) -> list[dict]:
    """Address rows (road, number, lane, sub_lane, building, lon, lat) for the roads of a street boundary."""
    rng = np.random.default_rng(seed + 17)
    boundary_m = geoms_to_local(shapely.geometry.shape(boundary), STREET_CENTRE)
    shapely.prepare(boundary_m)
    rows: list[tuple] = []

    def add(road, xy, number="", lane="", sub_lane="", building=""):
        rows.append((road, number, lane, sub_lane, building, float(xy[0]), float(xy[1])))

    for road, line in _roads(rng, boundary_m):
        for parity, side in ((1, 1.0), (0, -1.0)):
            n, s = parity or 2, float(rng.uniform(4, 12))
            while s < line.length - 4:
                p, normal = _normal(line, s)
                front = p + side * SIDE_OFFSET_M * normal
                inward = side * normal
                if rng.random() < 0.12 and 30 < s < line.length - 30:
                    add(road, front, lane=str(n))
                    style = rng.random()
                    houses = int(rng.integers(3, 11))
                    for j in range(1, houses + 1):
                        depth = 20 + 11 * j
                        lateral = (-1) ** j * rng.uniform(4, 10)
                        xy = front + inward * depth + lateral * np.array([inward[1], -inward[0]])
                        if style < 0.15:
                            add(road, xy, lane=str(n), building=str(j))
                        else:
                            add(road, xy, lane=str(n), number=str(j))
                    if style > 0.8:  # sub-lanes (支弄) branching off the lane
                        for k in range(1, int(rng.integers(2, 4))):
                            branch = front + inward * (20 + 22 * k)
                            along = np.array([inward[1], -inward[0]])
                            for j in range(1, int(rng.integers(3, 7))):
                                add(road, branch + along * (12 * j), lane=str(n), sub_lane=str(k), number=str(j))
                else:
                    add(road, front, number=str(n))
                    if rng.random() < 0.05:
                        add(road, front + inward * 15, number=f"{n}-1")
                n += 2 * int(rng.choice([1, 1, 1, 1, 1, 2, 3]))
                s += float(rng.uniform(14, 28))
    xy = np.array([[r[5], r[6]] for r in rows])
    inside = shapely.contains_xy(boundary_m, xy[:, 0], xy[:, 1])
    lons, lats = local_to_lonlat(xy[:, 0], xy[:, 1], STREET_CENTRE)
    keys = ("road", "number", "lane", "sub_lane", "building")
    return [{**dict(zip(keys, r[:5], strict=True)), "lon": round(float(lon), 7), "lat": round(float(lat), 7)}
            for r, lon, lat, ok in zip(rows, lons, lats, inside, strict=True) if ok]


def demo_addresses_load(*, jurisdiction, seed: int = 20261125) -> dict:
    """Generate the demo street's addresses and import them through the gazetteer service."""
    from wangge.routing.gazetteer import gazetteer_import

    return gazetteer_import(jurisdiction=jurisdiction, rows=generate_addresses(jurisdiction.boundary, seed))
