"""多格合一 end to end: wangge.grids.services.merge_recompute on a temporary SQLite DB (10k grids, 8 x 10k units).

Complements bench_merge.py (pure geometry only): this one includes loading the rows, building the ORM objects
and bulk_create of the coverage and issues. Runs merge_recompute twice (the second run also deletes the first
result); compare its time with bench_merge.py's total (geometry only).

    .venv/bin/python benchmarks/bench_merge_service.py                    # ~2 min on 2 cores
    .venv/bin/python benchmarks/bench_merge_service.py --grids 1000 --units 1000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
DB = OUT / "bench_merge_service.sqlite3"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["WANGGE_DEMO"] = "1"
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ.setdefault("WANGGE_LOG_LEVEL", "WARNING")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grids", type=int, default=10_000)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--units", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default=str(OUT / "merge_service.json"))
    args = ap.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    import django

    django.setup()
    from django.core.management import call_command

    from wangge.core.geo import to_geojson
    from wangge.core.models import Jurisdiction
    from wangge.grids.demo_data import generate_city
    from wangge.grids.models import Grid, GridCoverage, Layer, LayerUnit, MergeIssue
    from wangge.grids.services import geometry_fields, merge_recompute

    call_command("migrate", verbosity=0, interactive=False)
    city = generate_city(args.grids, args.layers, args.units, seed=args.seed)
    t = time.perf_counter()
    fields = geometry_fields(to_geojson(city["boundary"]))
    jurisdiction = Jurisdiction.objects.create(code="BENCH", name="Benchmark city", boundary=fields.pop("geometry"), **fields)
    Grid.objects.bulk_create([
        Grid(jurisdiction=jurisdiction, code=f"G{i + 1:05d}", name=f"网格{i + 1}", **geometry_fields(to_geojson(g)))
        for i, g in enumerate(city["grids"])
    ], batch_size=1000)
    for k, units in enumerate(city["layers"]):
        layer = Layer.objects.create(jurisdiction=jurisdiction, code=f"L{k + 1}", name=f"图层{k + 1}", tiling=True, sort_order=k)
        LayerUnit.objects.bulk_create([
            LayerUnit(layer=layer, code=f"U{i + 1:05d}", name=f"单元{i + 1}", **geometry_fields(to_geojson(g)))
            for i, g in enumerate(units)
        ], batch_size=1000)
    insert_s = time.perf_counter() - t
    del city

    runs = []
    for _ in range(2):
        t = time.perf_counter()
        run = merge_recompute(jurisdiction=jurisdiction)
        runs.append(time.perf_counter() - t)
    result = {
        "params": vars(args), "insert_seconds": insert_s, "merge_recompute_seconds": runs,
        "merge_recompute_duration_ms": run.duration_ms,
        "rows": {"coverage": GridCoverage.objects.count(), "issues": MergeIssue.objects.count()},
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"insert {insert_s:.1f}s (not counted); merge_recompute: first {runs[0]:.1f}s, second (replaces) {runs[1]:.1f}s; "
          f"rows: {result['rows']}; maxrss {result['maxrss_mb']:.0f} MB")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
