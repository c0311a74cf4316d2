"""Nearest open rest station with an amenity filter at city scale, through the HTTP API and as the raw query.

Builds a fresh database (SQLite in a temporary folder, or a fresh PostgreSQL database) with one city-sized
jurisdiction (a 55 km × 55 km square around Shanghai's centre, ~3,000 km²), 10,000 stations at random places
with random amenities and a realistic mix of hours (day 08:00–20:00, split, weekdays only, night 22:00–06:00
across midnight, 24 hours, none), some marked closed or full, holiday exceptions today, and 1,000 merchant
pledges. Then, in the same run:

* `raw`: `wangge.stations.selectors.nearest_ids` in this process (bbox prefilter on the indexed lat/lon columns,
  growing radius, exact distance and open-now in Python) — the index query alone, at the run's own time and at
  a fixed noon;
* `cards`: `stations_nearest` in this process (the query plus the five result cards: hours of the week,
  directions link);
* `scan`: the naive alternative — every station with the amenities from the database, distance and open-now
  for each — on fewer queries;
* `http`: `GET /api/v1/stations/nearest?lon=…&lat=…&amenities=…` (which also answers pledges nearby) through
  gunicorn on loopback with keep-alive clients, next to `GET /livez` (Django, no database) as the ceiling.

    .venv/bin/python benchmarks/bench_stations.py --db sqlite
    .venv/bin/python benchmarks/bench_stations.py --db postgres
    .venv/bin/python benchmarks/bench_stations.py --stations 1000 --requests 300   # quick
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_intake import ROOT, percentile, run_load  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python")
CENTRE = (121.4737, 31.2304)
HALF_M = 27_500
AMENITY_FILTERS = ["", "water", "microwave", "charging,toilet", "aircon,water", "toilet"]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def degrees(metres_x: float, metres_y: float) -> tuple[float, float]:
    lat0 = math.radians(CENTRE[1])
    return (CENTRE[0] + metres_x / (111_195 * math.cos(lat0)), CENTRE[1] + metres_y / 111_195)


def stats(values: list[float]) -> dict:
    return {"n": len(values), "p50_ms": round(percentile(values, 0.5) * 1000, 3),
            "p95_ms": round(percentile(values, 0.95) * 1000, 3), "p99_ms": round(percentile(values, 0.99) * 1000, 3),
            "mean_ms": round(statistics.mean(values) * 1000, 3)}


def build(n_stations: int, seed: int) -> None:
    """The city, its stations with hours and exceptions, and pledges: straight bulk inserts."""
    from django.utils import timezone

    from wangge.core.services import jurisdiction_upsert
    from wangge.stations.models import Amenity, HoursException, OpeningHours, Pledge, Station

    rng = random.Random(seed)
    x0, y0 = degrees(-HALF_M, -HALF_M)
    x1, y1 = degrees(HALF_M, HALF_M)
    j = jurisdiction_upsert(code="CITY", name="城市", boundary={
        "type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]})
    probability = {"water": 0.8, "toilet": 0.5, "charging": 0.6, "microwave": 0.4, "aircon": 0.5, "seating": 0.7,
                   "first_aid": 0.3, "umbrella": 0.3, "wifi": 0.4, "repair": 0.15}
    stations = []
    for i in range(n_stations):
        lon, lat = degrees(rng.uniform(-HALF_M, HALF_M), rng.uniform(-HALF_M, HALF_M))
        mask = sum(Amenity.BITS[c] for c, p in probability.items() if rng.random() < p)
        live = rng.choices(["open", "full", "closed"], [0.9, 0.05, 0.05])[0]
        stations.append(Station(jurisdiction=j, name=f"驿站{i:05d}", lon=lon, lat=lat, amenities=mask,
                                live_status=live, status_updated_at=timezone.now()))
    Station.objects.bulk_create(stations, batch_size=2000)
    ids = list(Station.objects.filter(jurisdiction=j).values_list("pk", flat=True))
    hours = []
    for sid in ids:
        kind = rng.choices(["day", "split", "weekdays", "night", "allday", "none"], [0.45, 0.15, 0.15, 0.1, 0.1, 0.05])[0]
        if kind == "day":
            hours += [OpeningHours(station_id=sid, weekday=w, start=480, end=1200) for w in range(7)]
        elif kind == "split":
            hours += [OpeningHours(station_id=sid, weekday=w, start=s, end=e) for w in range(7)
                      for s, e in ((450, 690), (780, 1260))]
        elif kind == "weekdays":
            hours += [OpeningHours(station_id=sid, weekday=w, start=540, end=1080) for w in range(5)]
        elif kind == "night":
            hours += [OpeningHours(station_id=sid, weekday=w, start=1320, end=360) for w in range(7)]
        elif kind == "allday":
            hours += [OpeningHours(station_id=sid, weekday=w, start=0, end=1440) for w in range(7)]
    OpeningHours.objects.bulk_create(hours, batch_size=5000)
    today = timezone.localdate()
    HoursException.objects.bulk_create([HoursException(station_id=sid, date=today, closed=True)
                                        for sid in rng.sample(ids, len(ids) // 30)], batch_size=2000)
    pledges = []
    for i in range(max(1, n_stations // 10)):
        lon, lat = degrees(rng.uniform(-HALF_M, HALF_M), rng.uniform(-HALF_M, HALF_M))
        pledges.append(Pledge(jurisdiction=j, merchant=f"商户{i}", kind="free_water", text="免费饮水",
                              valid_from=today - timedelta(days=30), valid_until=today + timedelta(days=rng.randint(-20, 300)),
                              lon=lon, lat=lat, contact_phone="13800000000"))
    Pledge.objects.bulk_create(pledges, batch_size=2000)


def queries(n: int, seed: int) -> list[tuple[float, float, str]]:
    rng = random.Random(seed)
    return [(*degrees(rng.uniform(-HALF_M * 0.95, HALF_M * 0.95), rng.uniform(-HALF_M * 0.95, HALF_M * 0.95)),
             rng.choice(AMENITY_FILTERS)) for _ in range(n)]


def time_raw(points, fn) -> tuple[dict, list]:
    times, found = [], []
    for lon, lat, amenities in points:
        t0 = time.perf_counter()
        out = fn(lon, lat, amenities)
        times.append(time.perf_counter() - t0)
        found.append(out)
    return stats(times), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--stations", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=2000, help="HTTP requests per run (and raw queries)")
    parser.add_argument("--scan", type=int, default=100, help="queries for the naive full-scan baseline")
    parser.add_argument("--limit", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--port", type=int, default=18441)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "stations.json"))
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="wangge-bench-stations-"))
    env = {"WANGGE_DATA_DIR": str(tmp), "WANGGE_DEMO": "1", "WANGGE_SECRET_KEY": "bench", "WANGGE_LOG_LEVEL": "WARNING",
           "DJANGO_SETTINGS_MODULE": "config.settings"}
    if args.db == "postgres":
        base = subprocess.run([str(ROOT / "scripts" / "pg-start")], capture_output=True, text=True, check=True).stdout.strip()
        base = base.splitlines()[-1]
        admin = base.rsplit("/", 1)[0] + "/postgres"
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS bench_stations")
            conn.execute("CREATE DATABASE bench_stations")
        env["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/bench_stations"
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from wangge.core.models import Jurisdiction
    from wangge.stations import selectors, services
    from wangge.stations.hours import is_open
    from wangge.stations.models import LiveStatus, Station

    call_command("migrate", "--noinput", verbosity=0)
    t0 = time.perf_counter()
    build(args.stations, args.seed)
    build_s = time.perf_counter() - t0
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    connection.close()  # the server processes open their own
    j = Jurisdiction.objects.get(code="CITY")
    points = queries(args.requests, args.seed + 1)
    now = timezone.localtime()
    noon = datetime.combine(now.date(), datetime.min.time(), tzinfo=SHANGHAI).replace(hour=12)

    def raw(lon, lat, amenities, at=None):
        return selectors.nearest_ids(jurisdiction=j, lon=lon, lat=lat, amenities=services.amenity_mask(amenities),
                                     limit=args.limit, now=at)

    def cards(lon, lat, amenities):
        return selectors.stations_nearest(jurisdiction=j, lon=lon, lat=lat, amenities=services.amenity_mask(amenities),
                                          limit=args.limit)

    def scan(lon, lat, amenities):
        """Naive: every station with the amenities, then distance and open-now for each, sorted."""
        mask = services.amenity_mask(amenities)
        qs = Station.objects.filter(jurisdiction=j, active=True).exclude(live_status=LiveStatus.CLOSED)
        if mask:
            from django.db.models import F

            qs = qs.annotate(_has=F("amenities").bitand(mask)).filter(_has=mask)
        rows = list(qs.values_list("id", "lon", "lat"))
        local = timezone.localtime()
        weekly, exceptions = selectors.hours_for([r[0] for r in rows], [local.date() - timedelta(days=1), local.date()])
        near = sorted((selectors.distance_m(lon, lat, x, y), sid) for sid, x, y in rows
                      if is_open(local, weekly.get(sid, {}), exceptions.get(sid, {})))
        return [(sid, d) for d, sid in near[: args.limit]]

    results: dict = {"config": vars(args), "build_seconds": round(build_s, 1), "run_local_time": now.isoformat()}
    time_raw(points[:50], raw)  # warm up
    results["raw_now"], found = time_raw(points, raw)
    results["raw_noon"], found_noon = time_raw(points, lambda x, y, a: raw(x, y, a, at=noon))
    results["cards"], _ = time_raw(points[: args.requests // 2], cards)
    results["scan"], scanned = time_raw(points[: args.scan], scan)
    # The same answers: the growing-radius query against the full scan (ids; distances to the metre).
    mismatches = sum(1 for a, b in zip(found[: args.scan], scanned, strict=True)
                     if [(i, round(d)) for i, d in a] != [(i, round(d)) for i, d in b])
    results["scan_mismatches"] = mismatches
    results["mean_found_now"] = round(statistics.mean(len(f) for f in found), 2)
    results["mean_found_noon"] = round(statistics.mean(len(f) for f in found_noon), 2)
    results["mean_distance_m_now"] = round(statistics.mean(f[0][1] for f in found if f), 1)
    connection.close()

    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{args.port}",
         "--workers", str(args.workers), "--threads", str(args.threads), "--worker-class", "gthread",
         "--log-level", "warning"], env={**os.environ, **env}, cwd=ROOT)
    try:
        for _ in range(300):
            try:
                c = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
                c.request("GET", "/livez")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit("gunicorn did not start")
        it = iter(range(10**9))

        def livez(rng):
            return "GET", "/livez", None, {}

        def nearest(rng):
            lon, lat, amenities = points[next(it) % len(points)]
            query = urlencode({"lon": f"{lon:.7f}", "lat": f"{lat:.7f}", "amenities": amenities, "limit": args.limit})
            return "GET", f"/api/v1/stations/nearest?{query}", None, {}

        run_load(args.port, livez, 200, args.concurrency)
        run_load(args.port, nearest, 100, args.concurrency)
        results["http_livez"] = run_load(args.port, livez, args.requests, args.concurrency)
        results["http_nearest_c1"] = run_load(args.port, nearest, args.requests // 2, 1)
        results["http_nearest"] = run_load(args.port, nearest, args.requests, args.concurrency)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"{args.stations} stations ({args.db}); built in {results['build_seconds']} s; local time {now:%H:%M}; "
          f"found {results['mean_found_now']} of {args.limit} on average (noon: {results['mean_found_noon']})")
    print(f"{'what':<22} {'n':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}")
    for name in ("raw_now", "raw_noon", "cards", "scan"):
        r = results[name]
        print(f"{name:<22} {r['n']:>6} {r['p50_ms']:>9} {r['p95_ms']:>9} {r['p99_ms']:>9}")
    for name in ("http_livez", "http_nearest_c1", "http_nearest"):
        r = results[name]
        print(f"{name:<22} {r['requests']:>6} {r['p50_ms']:>9} {r['p95_ms']:>9} {r['p99_ms']:>9}  "
              f"{r['per_second']} req/s {r['statuses']}")
    print(f"scan mismatches: {mismatches} of {min(args.scan, len(found))}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
