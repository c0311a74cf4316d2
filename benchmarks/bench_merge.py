"""多格合一 merge benchmark: the pure functions wangge.grids.services.merge_recompute chains, no Django/DB.

Phases (wall seconds each): projection of boundary, grids and all layers to local metres (+ grid areas),
layer_coverage per layer, grid_overlaps, territory_gaps, grids_outside. Generating the city is timed
separately and not counted. Peak memory: ru_maxrss (whole process, includes GEOS) after generation and at
the end; --tracemalloc adds Python-heap peaks per phase (GEOS allocations are invisible to it, and it slows
the run).

    .venv/bin/python benchmarks/bench_merge.py                              # 10k grids, 8 x 10k units
    .venv/bin/python benchmarks/bench_merge.py --grids 1000 --units 1000    # quick
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wangge.core.geo import LocalProjection  # noqa: E402
from wangge.grids import merge  # noqa: E402
from wangge.grids.demo_data import generate_city  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
# Defaults of WANGGE_SLIVER_AREA_M2 / WANGGE_SLIVER_SHARE in config/settings (kept Django-free here).
SLIVER_AREA_M2 = 50.0
SLIVER_SHARE = 0.01


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


class Phases:
    def __init__(self, trace: bool):
        self.rows: dict[str, dict] = {}
        self.trace = trace

    def run(self, name, fn):
        if self.trace:
            tracemalloc.reset_peak()
        t = time.perf_counter()
        result = fn()
        row = {"seconds": time.perf_counter() - t, "maxrss_mb": maxrss_mb()}
        if self.trace:
            row["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        self.rows[name] = row
        return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grids", type=int, default=10_000)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--units", type=int, default=10_000, help="units per layer")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--tracemalloc", action="store_true")
    ap.add_argument("--out", default=str(OUT / "merge.json"))
    args = ap.parse_args()

    rss_start = maxrss_mb()
    t = time.perf_counter()
    city = generate_city(args.grids, args.layers, args.units, seed=args.seed)
    gen_s = time.perf_counter() - t
    rss_generated = maxrss_mb()
    if args.tracemalloc:
        tracemalloc.start()

    ph = Phases(args.tracemalloc)
    total_start = time.perf_counter()

    def project():
        # As merge_recompute: one projection centred on the jurisdiction's boundary.
        projection = LocalProjection.for_geometries([city["boundary"]])
        boundary = projection.forward(city["boundary"])
        grids = projection.forward(city["grids"])
        layers = [projection.forward(units) for units in city["layers"]]
        return boundary, grids, shapely.area(grids), layers

    boundary, grids, grid_areas, layers = ph.run("projection", project)
    counts: dict = {"layers": {}}
    for k, units in enumerate(layers):
        res = ph.run(f"layer_coverage[{k}]", lambda units=units: merge.layer_coverage(
            grids, grid_areas, units, tiling=True, sliver_area_m2=SLIVER_AREA_M2, sliver_share=SLIVER_SHARE))
        counts["layers"][k] = {"coverage": len(res.coverage), "slivers": len(res.slivers), "partial": len(res.partial)}
    overlaps = ph.run("grid_overlaps", lambda: merge.grid_overlaps(grids, grid_areas, min_area_m2=SLIVER_AREA_M2))
    gaps = ph.run("territory_gaps", lambda: merge.territory_gaps(boundary, grids, min_area_m2=SLIVER_AREA_M2))
    outside = ph.run("grids_outside", lambda: merge.grids_outside(boundary, grids, grid_areas, min_area_m2=SLIVER_AREA_M2))
    total_s = time.perf_counter() - total_start
    counts.update(overlaps=len(overlaps), gaps=len(gaps), outside=len(outside),
                  coverage_total=sum(v["coverage"] for v in counts["layers"].values()),
                  slivers_total=sum(v["slivers"] for v in counts["layers"].values()),
                  partial_total=sum(v["partial"] for v in counts["layers"].values()))

    cov_s = [r["seconds"] for n, r in ph.rows.items() if n.startswith("layer_coverage")]
    result = {
        "params": vars(args),
        "generate_city_seconds": gen_s,
        "phases": ph.rows,
        "layer_coverage_seconds": {"sum": sum(cov_s), "min": min(cov_s, default=0), "max": max(cov_s, default=0)},
        "total_seconds": total_s,
        "maxrss_mb": {"start": rss_start, "after_generate": rss_generated, "end": maxrss_mb()},
        "counts": counts,
        "vertices": {"grids": int(shapely.get_num_coordinates(grids).sum()),
                     "units": int(sum(shapely.get_num_coordinates(u).sum() for u in layers))},
        "area_check": {"boundary_m2": float(boundary.area), "grids_m2": float(np.sum(grid_areas))},
    }
    if args.tracemalloc:
        result["tracemalloc_peak_mb_overall"] = max(r["tracemalloc_peak_mb"] for r in ph.rows.values())
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))

    print(f"city: {args.grids} grids, {args.layers} layers x {args.units} units; generated in {gen_s:.1f}s (not counted)")
    print(f"{'phase':<20} {'seconds':>9} {'maxrss MB':>10}" + (f" {'py peak MB':>11}" if args.tracemalloc else ""))
    for name, r in ph.rows.items():
        extra = f" {r['tracemalloc_peak_mb']:>11.1f}" if args.tracemalloc else ""
        print(f"{name:<20} {r['seconds']:>9.2f} {r['maxrss_mb']:>10.0f}{extra}")
    print(f"{'TOTAL':<20} {total_s:>9.2f} {maxrss_mb():>10.0f}")
    print(f"layer_coverage: sum {sum(cov_s):.2f}s; counts: coverage {counts['coverage_total']}, "
          f"slivers {counts['slivers_total']}, partial {counts['partial_total']}, overlaps {len(overlaps)}, "
          f"gaps {len(gaps)}, outside {len(outside)}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
