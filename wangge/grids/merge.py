"""多格合一: pure computation of how departmental layers cover the comprehensive grids.

Works on numpy arrays of shapely geometries in local metres (see `wangge.core.geo.LocalProjection`),
fully vectorised: an STRtree finds candidate (grid, unit) pairs, shapely intersects them in bulk.
No Django here, so the benchmark measures exactly what the service runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

# Float noise on shared edges of adjacent polygons is far below this (m²).
NOISE_M2 = 0.5


@dataclass
class Pairs:
    """Parallel arrays: grid index, other index (unit or grid), intersection area, share of the grid."""

    grid: np.ndarray
    other: np.ndarray
    area: np.ndarray
    share: np.ndarray

    @classmethod
    def empty(cls) -> Pairs:
        return cls(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), np.empty(0))

    def __len__(self) -> int:
        return len(self.grid)


@dataclass
class LayerCoverage:
    coverage: Pairs
    slivers: Pairs
    # For tiling layers: grids with a part no unit covers (grid index, uncovered area, uncovered share).
    partial: Pairs = field(default_factory=Pairs.empty)


def layer_coverage(
    grids: np.ndarray,
    grid_areas: np.ndarray,
    units: np.ndarray,
    *,
    tiling: bool,
    sliver_area_m2: float,
    sliver_share: float,
) -> LayerCoverage:
    """Which unit covers which grid, with the share of the grid's area.

    A sliver is a piece that is tiny in absolute terms, or a tiny part of both the grid and the unit
    (the signature of two boundaries drawn slightly differently). A small unit lying wholly inside a
    big grid (a property compound) is coverage, not a sliver.
    """
    if len(units) == 0 or len(grids) == 0:
        return LayerCoverage(Pairs.empty(), Pairs.empty())
    tree = shapely.STRtree(units)
    gi, ui = tree.query(grids, predicate="intersects")
    areas = shapely.area(shapely.intersection(grids[gi], units[ui]))
    unit_areas = shapely.area(units)
    grid_share = areas / grid_areas[gi]
    unit_share = areas / unit_areas[ui]
    positive = areas > NOISE_M2
    sliver = positive & ((areas < sliver_area_m2) | ((grid_share < sliver_share) & (unit_share < sliver_share)))
    keep = positive & ~sliver
    result = LayerCoverage(
        coverage=Pairs(gi[keep], ui[keep], areas[keep], grid_share[keep]),
        slivers=Pairs(gi[sliver], ui[sliver], areas[sliver], grid_share[sliver]),
    )
    if tiling:
        covered = np.bincount(gi[positive], weights=areas[positive], minlength=len(grids))
        uncovered = grid_areas - covered
        idx = np.nonzero((uncovered > np.maximum(sliver_area_m2, NOISE_M2)) & (uncovered / grid_areas > sliver_share))[0]
        result.partial = Pairs(idx, np.full(len(idx), -1), uncovered[idx], uncovered[idx] / grid_areas[idx])
    return result


def grid_overlaps(grids: np.ndarray, grid_areas: np.ndarray, *, min_area_m2: float) -> Pairs:
    """Pairs of grids (i < j) whose interiors overlap by more than `min_area_m2`."""
    if len(grids) < 2:
        return Pairs.empty()
    tree = shapely.STRtree(grids)
    a, b = tree.query(grids, predicate="intersects")
    upper = a < b
    a, b = a[upper], b[upper]
    areas = shapely.area(shapely.intersection(grids[a], grids[b]))
    keep = areas > max(min_area_m2, NOISE_M2)
    return Pairs(a[keep], b[keep], areas[keep], areas[keep] / grid_areas[a[keep]])


def territory_gaps(boundary, grids: np.ndarray, *, min_area_m2: float) -> list:
    """Pieces of the jurisdiction that no grid covers, largest first."""
    if len(grids) == 0:
        return [boundary]
    rest = shapely.difference(boundary, shapely.union_all(grids))
    parts = [p for p in shapely.get_parts(rest) if p.geom_type == "Polygon" and p.area > max(min_area_m2, NOISE_M2)]
    return sorted(parts, key=lambda p: -p.area)


def grids_outside(boundary, grids: np.ndarray, grid_areas: np.ndarray, *, min_area_m2: float) -> Pairs:
    """Grids with a part outside the jurisdiction's boundary."""
    if len(grids) == 0:
        return Pairs.empty()
    outside = shapely.area(shapely.difference(grids, boundary))
    idx = np.nonzero(outside > max(min_area_m2, NOISE_M2))[0]
    return Pairs(idx, np.full(len(idx), -1), outside[idx], outside[idx] / grid_areas[idx])
