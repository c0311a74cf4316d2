"""Point location benchmark: TerritoryIndex (wangge.routing.locate) vs raw shapely STRtree queries.

Builds a generated city (grids + departmental layers), then times, in the same process and interleaved:
  batch/grid  locate_many on a grid-only index      vs STRtree(grids).query(points(lons, lats))
  batch/full  locate_many on grids + all layers     vs one raw query per tree (1 + layers)
  single/grid index.locate(lon, lat), grid-only     vs tree.query(Point(lon, lat))
  single/full index.locate(lon, lat), full index    vs one raw Point query per tree
Each measurement is repeated --repeat times; min and median are reported. Ratio = ours/raw throughput.

    .venv/bin/python benchmarks/bench_locate.py                  # full size (10k grids, 8x10k units, 1M points)
    .venv/bin/python benchmarks/bench_locate.py --grids 1000 --units 1000 --points 100000 --single 2000
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wangge.grids.demo_data import generate_city, random_points_in  # noqa: E402
from wangge.routing.locate import Feature, TerritoryIndex  # noqa: E402

OUT = ROOT / "benchmarks" / "out"


def features(geoms, prefix):
    return [(Feature(i + 1, f"{prefix}-{i + 1:05d}", f"{prefix} {i + 1}"), g) for i, g in enumerate(geoms)]


def timed(fn):
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def measure(pairs, repeat):
    """pairs: {name: (ours_fn, raw_fn)}; runs ours and raw alternately, `repeat` times each."""
    times = {name: {"ours": [], "raw": []} for name in pairs}
    for _ in range(repeat):
        for name, (ours, raw) in pairs.items():
            times[name]["ours"].append(timed(ours)[0])
            times[name]["raw"].append(timed(raw)[0])
    return times


def summarise(times, count, unit):
    """Seconds -> points/s (batch) or µs/call (single); the ratio is ours/raw throughput on medians."""
    out = {}
    for name, t in times.items():
        row = {"count": count, "unit": unit}
        for side in ("ours", "raw"):
            s = t[side]
            val = [count / x for x in s] if unit == "points/s" else [x / count * 1e6 for x in s]
            best = max(val) if unit == "points/s" else min(val)
            row[side] = {"best": best, "median": statistics.median(val), "seconds": s}
        med_o, med_r = statistics.median(t["ours"]), statistics.median(t["raw"])
        row["ratio_ours_over_raw"] = med_r / med_o  # throughput ratio: 1.0 = as fast as raw
        row["ratio_best"] = min(t["raw"]) / min(t["ours"])
        out[name] = row
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grids", type=int, default=10_000)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--units", type=int, default=10_000, help="units per layer")
    ap.add_argument("--points", type=int, default=1_000_000, help="batch size")
    ap.add_argument("--single", type=int, default=10_000, help="single locate() calls per measurement")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default=str(OUT / "locate.json"))
    args = ap.parse_args()

    gen_s, city = timed(lambda: generate_city(args.grids, args.layers, args.units, seed=args.seed))
    grids, layers, boundary = city["grids"], city["layers"], city["boundary"]
    layer_specs = [(k + 1, f"L{k + 1}", f"layer {k + 1}", features(g, f"L{k + 1}")) for k, g in enumerate(layers)]

    build_grid_s, idx_grid = timed(lambda: TerritoryIndex(boundary=boundary, grids=features(grids, "G"), layers=[]))
    build_full_s, idx_full = timed(lambda: TerritoryIndex(boundary=boundary, grids=features(grids, "G"), layers=layer_specs))
    build_raw_s, trees = timed(lambda: [shapely.STRtree(grids)] + [shapely.STRtree(g) for g in layers])
    grid_tree = trees[0]

    lons, lats = random_points_in(boundary.bounds, args.points, seed=args.seed + 1)

    # Sanity: the index agrees with the raw query on which grid a point falls in (first hit per point).
    p, g = grid_tree.query(shapely.points(lons, lats), predicate="intersects")
    first = np.full(len(lons), len(grids))
    np.minimum.at(first, p, g)  # the lowest-numbered grid per point, as TerritoryIndex answers
    first[first == len(grids)] = -1
    res = idx_grid.locate_many(lons, lats)
    agree = float(np.mean(res.grid == first))
    inside_share = float(np.mean(res.inside))

    def raw_batch(tree_list):
        def run():
            pts = shapely.points(lons, lats)
            return [t.query(pts, predicate="intersects") for t in tree_list]
        return run

    batch = measure({
        "batch/grid": (lambda: idx_grid.locate_many(lons, lats), raw_batch(trees[:1])),
        "batch/full": (lambda: idx_full.locate_many(lons, lats), raw_batch(trees)),
    }, args.repeat)

    s_lons, s_lats = lons[: args.single].tolist(), lats[: args.single].tolist()
    sample = list(zip(s_lons, s_lats, strict=True))

    def ours_single(index):
        return lambda: [index.locate(x, y) for x, y in sample]

    def raw_single(tree_list):
        def run():
            for x, y in sample:
                pt = shapely.Point(x, y)
                for t in tree_list:
                    t.query(pt, predicate="intersects")
        return run

    single = measure({
        "single/grid": (ours_single(idx_grid), raw_single(trees[:1])),
        "single/full": (ours_single(idx_full), raw_single(trees)),
    }, args.repeat)

    result = {
        "params": vars(args),
        "setup_seconds": {"generate_city": gen_s, "index_grid_only": build_grid_s, "index_full": build_full_s,
                          "raw_strtrees": build_raw_s},
        "sanity": {"grid_agreement_with_raw": agree, "inside_boundary_share": inside_share},
        "results": {**summarise(batch, args.points, "points/s"), **summarise(single, args.single, "us/call")},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))

    print(f"city: {args.grids} grids, {args.layers} layers x {args.units} units; generated in {gen_s:.1f}s; "
          f"index build {build_full_s:.2f}s (raw trees {build_raw_s:.2f}s)")
    print(f"sanity: grid agreement with raw {agree:.4%}, points inside boundary {inside_share:.1%}")
    print(f"{'case':<12} {'unit':>9} {'ours best':>12} {'ours med':>12} {'raw best':>12} {'raw med':>12} {'ratio':>7}")
    for name, r in result["results"].items():
        print(f"{name:<12} {r['unit']:>9} {r['ours']['best']:>12,.1f} {r['ours']['median']:>12,.1f} "
              f"{r['raw']['best']:>12,.1f} {r['raw']['median']:>12,.1f} {r['ratio_ours_over_raw']:>6.2f}x")
    print("ratio = ours/raw throughput on medians (1.00x = as fast as raw STRtree)")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
