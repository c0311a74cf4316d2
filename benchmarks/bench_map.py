"""Map data benchmark: GET /api/v1/grids/geojson?zoom=Z with 10,000 grids, through Django's test client.

Sets up a throw-away SQLite database under benchmarks/out/, migrates it, bulk-inserts a jurisdiction and the
generated grids, logs in an operator and requests the map GeoJSON for each zoom (and without zoom = full
precision): response bytes, gzip bytes, cold time (cache cleared) and warm time (cached), --repeat times each.
A breakdown of the cold path (selector vs JSON encoding) is measured outside the HTTP stack.

    .venv/bin/python benchmarks/bench_map.py                 # 10,000 grids
    .venv/bin/python benchmarks/bench_map.py --grids 1000    # quick
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
DB = OUT / "bench_map.sqlite3"
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["WANGGE_DEMO"] = "1"
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ.setdefault("WANGGE_LOG_LEVEL", "WARNING")


def setup_db(n_grids: int, seed: int):
    import django

    OUT.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    django.setup()
    from django.core.management import call_command

    from wangge.accounts.services import user_create
    from wangge.core.geo import to_geojson
    from wangge.core.models import Jurisdiction
    from wangge.grids.demo_data import generate_city
    from wangge.grids.models import Grid
    from wangge.grids.services import geometry_fields

    timings = {}
    t = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    timings["migrate"] = time.perf_counter() - t
    t = time.perf_counter()
    city = generate_city(n_grids=n_grids, n_layers=0, seed=seed)
    timings["generate_city"] = time.perf_counter() - t
    t = time.perf_counter()
    fields = geometry_fields(to_geojson(city["boundary"]))
    jurisdiction = Jurisdiction.objects.create(
        code="BENCH", name="Benchmark city", boundary=fields.pop("geometry"), **fields
    )
    grids = [
        Grid(jurisdiction=jurisdiction, code=f"G{i + 1:05d}", name=f"网格{i + 1}", kind="mixed",
             **geometry_fields(to_geojson(g)))
        for i, g in enumerate(city["grids"])
    ]
    timings["build_rows"] = time.perf_counter() - t
    t = time.perf_counter()
    Grid.objects.bulk_create(grids, batch_size=1000)
    timings["bulk_create"] = time.perf_counter() - t
    user = user_create(username="bench-operator", password="bench-operator-pw-1", role="operator",
                       jurisdiction=jurisdiction)
    return jurisdiction, user, timings


def stats(values):
    return {"min": min(values), "median": statistics.median(values), "all": values}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grids", type=int, default=10_000)
    ap.add_argument("--zooms", default="11,13,15,none", help="comma-separated; 'none' = no zoom parameter")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default=str(OUT / "map.json"))
    args = ap.parse_args()

    jurisdiction, user, setup = setup_db(args.grids, args.seed)
    from django.core.cache import cache
    from django.test import Client

    from wangge.grids.selectors import grids_feature_collection

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)

    def get(url):
        t = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - t
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        return elapsed, response.content

    results = {}
    for z in args.zooms.split(","):
        zoom = None if z == "none" else int(z)
        url = "/api/v1/grids/geojson" + ("" if zoom is None else f"?zoom={zoom}")
        cold, warm, selector, dumps = [], [], [], []
        body = b""
        for _ in range(args.repeat):
            cache.clear()
            elapsed, body = get(url)
            cold.append(elapsed)
            warm.append(get(url)[0])
            # Breakdown of the cold path, outside the HTTP stack.
            cache.clear()
            t = time.perf_counter()
            fc = grids_feature_collection(user=user, jurisdiction=jurisdiction, zoom=zoom)
            selector.append(time.perf_counter() - t)
            t = time.perf_counter()
            json.dumps(fc, ensure_ascii=False, separators=(",", ":"))
            dumps.append(time.perf_counter() - t)
        doc = json.loads(body)
        results[z] = {
            "url": url, "features": len(doc["features"]),
            "vertices": sum(len(r) for f in doc["features"] for r in f["geometry"]["coordinates"]),
            "bytes": len(body), "gzip_bytes": len(gzip.compress(body, compresslevel=6)),
            "cold_s": stats(cold), "warm_s": stats(warm), "selector_cold_s": stats(selector),
            "json_dumps_s": stats(dumps),
        }

    result = {"params": vars(args), "setup_seconds": setup, "results": results}
    Path(args.out).write_text(json.dumps(result, indent=2))

    print(f"{args.grids} grids; setup: " + ", ".join(f"{k} {v:.1f}s" for k, v in setup.items()))
    print(f"{'zoom':<5} {'features':>8} {'vertices':>9} {'MB':>7} {'gzip MB':>8} {'cold med s':>10} "
          f"{'warm med s':>10} {'selector s':>10} {'dumps s':>8}")
    for z, r in results.items():
        print(f"{z:<5} {r['features']:>8} {r['vertices']:>9} {r['bytes'] / 1e6:>7.2f} {r['gzip_bytes'] / 1e6:>8.2f} "
              f"{r['cold_s']['median']:>10.3f} {r['warm_s']['median']:>10.3f} "
              f"{r['selector_cold_s']['median']:>10.3f} {r['json_dumps_s']['median']:>8.3f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
