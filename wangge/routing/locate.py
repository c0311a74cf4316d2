"""Point → comprehensive grid + the unit of every departmental layer, from in-memory STRtrees.

`TerritoryIndex` is pure (no Django): built from shapely geometries, it answers single points and
numpy batches. Points outside the jurisdiction's boundary are answered as outside, never snapped to
the nearest grid; a point inside the boundary but in a gap has no grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely


@dataclass(frozen=True)
class Feature:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class IndexedLayer:
    id: int
    code: str
    name: str
    features: tuple[Feature, ...]
    tree: shapely.STRtree


@dataclass
class BatchResult:
    inside: np.ndarray  # bool per point
    grid: np.ndarray  # index into TerritoryIndex.grids, -1 if none
    units: dict[str, np.ndarray]  # layer code -> index into that layer's features, -1 if none


def _first_hit(n: int, point_idx: np.ndarray, geom_idx: np.ndarray) -> np.ndarray:
    """For each point the lowest-numbered geometry it hits (a point on a shared edge hits two)."""
    out = np.full(n, -1, dtype=np.int64)
    if len(point_idx) == 0:
        return out
    if len(point_idx) > 1 and not (np.diff(point_idx) > 0).all():
        order = np.lexsort((geom_idx, point_idx))
        point_idx, geom_idx = point_idx[order], geom_idx[order]
        first = np.empty(len(point_idx), dtype=bool)
        first[0] = True
        first[1:] = point_idx[1:] != point_idx[:-1]
        point_idx, geom_idx = point_idx[first], geom_idx[first]
    out[point_idx] = geom_idx
    return out


class TerritoryIndex:
    def __init__(self, *, boundary, grids: list[tuple[Feature, object]], layers: list[tuple[int, str, str, list[tuple[Feature, object]]]]):
        self.boundary = boundary
        shapely.prepare(self.boundary)
        self.grids = tuple(f for f, _ in grids)
        self.grid_geoms = np.array([g for _, g in grids], dtype=object)
        self.grid_tree = shapely.STRtree(self.grid_geoms)
        self.layers = []
        self._layer_geoms = []
        for lid, code, name, units in layers:
            geoms = np.array([g for _, g in units], dtype=object)
            self.layers.append(IndexedLayer(id=lid, code=code, name=name, features=tuple(f for f, _ in units), tree=shapely.STRtree(geoms)))
            self._layer_geoms.append(geoms)
        self.layers = tuple(self.layers)
        # Prepared once: the exact point-in-polygon test after the tree's bbox query is then cheap.
        for geoms in (self.grid_geoms, *self._layer_geoms):
            if len(geoms):
                shapely.prepare(geoms)

    def locate_many(self, lons: np.ndarray, lats: np.ndarray) -> BatchResult:
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        n = len(lons)
        inside = shapely.intersects_xy(self.boundary, lons, lats)  # on the boundary line counts as inside
        idx = np.nonzero(inside)[0]
        x, y = lons[idx], lats[idx]
        points = shapely.points(x, y)

        def hits(tree: shapely.STRtree, geoms: np.ndarray) -> np.ndarray:
            out = np.full(n, -1, dtype=np.int64)
            if len(points) and len(geoms):
                p, g = tree.query(points)  # bbox candidates
                exact = shapely.intersects_xy(geoms[g], x[p], y[p])
                out[idx] = _first_hit(len(idx), p[exact], g[exact])
            return out

        return BatchResult(
            inside=inside,
            grid=hits(self.grid_tree, self.grid_geoms),
            units={layer.code: hits(layer.tree, geoms) for layer, geoms in zip(self.layers, self._layer_geoms, strict=True)},
        )

    def locate(self, lon: float, lat: float) -> dict:
        """One point, without the array round trip of `locate_many` (about twice as fast per call)."""
        point = shapely.Point(lon, lat)
        if not self.boundary.intersects(point):
            return {"inside_jurisdiction": False, "grid": None, "units": [], "reason": "outside_jurisdiction"}

        def first(tree: shapely.STRtree) -> int:
            hit = tree.query(point, predicate="intersects")
            return int(hit.min()) if len(hit) else -1

        return self._result(True, first(self.grid_tree), [first(layer.tree) for layer in self.layers])

    def describe(self, batch: BatchResult, i: int) -> dict:
        return self._result(
            bool(batch.inside[i]), int(batch.grid[i]), [int(batch.units[layer.code][i]) for layer in self.layers]
        )

    def _result(self, inside: bool, g: int, unit_idx: list[int]) -> dict:
        grid = self.grids[g] if g >= 0 else None
        units = [
            {"layer": layer.code, "layer_name": layer.name, "id": f.id, "code": f.code, "name": f.name}
            for layer, u in zip(self.layers, unit_idx, strict=True) if u >= 0
            for f in (layer.features[u],)
        ]
        return {
            "inside_jurisdiction": inside,
            "grid": {"id": grid.id, "code": grid.code, "name": grid.name} if grid else None,
            "units": units,
            "reason": None if grid else ("outside_jurisdiction" if not inside else "no_grid"),
        }
