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
        self.grid_tree = shapely.STRtree([g for _, g in grids])
        self.layers = tuple(
            IndexedLayer(id=lid, code=code, name=name, features=tuple(f for f, _ in units), tree=shapely.STRtree([g for _, g in units]))
            for lid, code, name, units in layers
        )

    def locate_many(self, lons: np.ndarray, lats: np.ndarray) -> BatchResult:
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        n = len(lons)
        inside = shapely.contains_xy(self.boundary, lons, lats) | shapely.intersects_xy(self.boundary, lons, lats)
        idx = np.nonzero(inside)[0]
        points = shapely.points(lons[idx], lats[idx])

        def hits(tree: shapely.STRtree) -> np.ndarray:
            out = np.full(n, -1, dtype=np.int64)
            if len(points) and len(tree):
                p, g = tree.query(points, predicate="intersects")
                out[idx] = _first_hit(len(idx), p, g)
            return out

        return BatchResult(inside=inside, grid=hits(self.grid_tree), units={layer.code: hits(layer.tree) for layer in self.layers})

    def locate(self, lon: float, lat: float) -> dict:
        batch = self.locate_many(np.array([lon]), np.array([lat]))
        return self.describe(batch, 0)

    def describe(self, batch: BatchResult, i: int) -> dict:
        inside = bool(batch.inside[i])
        g = int(batch.grid[i])
        grid = self.grids[g] if g >= 0 else None
        units = []
        for layer in self.layers:
            u = int(batch.units[layer.code][i])
            if u >= 0:
                f = layer.features[u]
                units.append({"layer": layer.code, "layer_name": layer.name, "id": f.id, "code": f.code, "name": f.name})
        reason = None if grid else ("outside_jurisdiction" if not inside else "no_grid")
        return {
            "inside_jurisdiction": inside,
            "grid": {"id": grid.id, "code": grid.code, "name": grid.name} if grid else None,
            "units": units,
            "reason": reason,
        }
