"""Report intake through the HTTP API on loopback, next to the bare framework's minimal endpoint.

Starts gunicorn on 127.0.0.1 over a fresh database (SQLite in a temporary folder, or a fresh PostgreSQL
database), seeds the demo street, then sends a bounded number of requests from C client threads with
keep-alive connections: first `GET /livez` (Django with all its middleware, no database: the ceiling), then
`POST /api/v1/reports` (form-encoded: locate, classify, route, dedupe, write report + case + event +
notifications). Prints requests/s and latency percentiles per endpoint and writes JSON to benchmarks/out/.

    .venv/bin/python benchmarks/bench_intake.py --db sqlite --requests 2000 --concurrency 8
    .venv/bin/python benchmarks/bench_intake.py --db postgres --requests 2000 --concurrency 8
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
PY = str(ROOT / ".venv" / "bin" / "python")
PROBLEMS = ["垃圾桶满溢没人清运", "路灯不亮晚上很黑", "井盖松动有响声", "人行道被占用摆摊", "小广告贴满电线杆",
            "非机动车乱停放堵住盲道", "餐馆油烟扰民", "绿化带被踩坏", "施工噪音夜间扰民", "积水严重无法通行"]


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def run_load(port: int, make_request, total: int, concurrency: int) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    per_thread = [total // concurrency + (1 if i < total % concurrency else 0) for i in range(concurrency)]

    def worker(n: int, seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, codes = [], {}
        for _ in range(n):
            method, path, body, headers = make_request(rng)
            t0 = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - t0)
            codes[response.status] = codes.get(response.status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for k, v in codes.items():
                statuses[k] = statuses.get(k, 0) + v

    threads = [threading.Thread(target=worker, args=(n, i)) for i, n in enumerate(per_thread)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"requests": total, "seconds": round(wall, 3), "per_second": round(total / wall, 1),
            "p50_ms": round(percentile(latencies, 0.50) * 1000, 2), "p95_ms": round(percentile(latencies, 0.95) * 1000, 2),
            "p99_ms": round(percentile(latencies, 0.99) * 1000, 2), "mean_ms": round(statistics.mean(latencies) * 1000, 2),
            "statuses": statuses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--port", type=int, default=18431)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "intake.json"))
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="wangge-bench-intake-"))
    env = {**os.environ, "WANGGE_DATA_DIR": str(tmp), "WANGGE_DEMO": "1", "WANGGE_SECRET_KEY": "bench",
           "WANGGE_INTAKE_RATE": "100000000/60", "WANGGE_LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "config.settings",
           "WANGGE_TASKS_BACKEND": "django_tasks_db.DatabaseBackend"}
    if args.db == "postgres":
        base = subprocess.run([str(ROOT / "scripts" / "pg-start")], capture_output=True, text=True, check=True).stdout.strip()
        base = base.splitlines()[-1]
        admin = base.rsplit("/", 1)[0] + "/postgres"
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS bench_intake")
            conn.execute("CREATE DATABASE bench_intake")
        env["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/bench_intake"
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    manage = [PY, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "seed_demo"], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    points = json.loads(subprocess.run([*manage, "shell", "-c", (
        "import json, shapely; from wangge.grids.models import Grid; from wangge.core.geo import to_shape; "
        "print(json.dumps([list(shapely.point_on_surface(to_shape(g.geometry)).coords[0]) for g in Grid.objects.all()]))"
    )], env=env, check=True, cwd=ROOT, capture_output=True, text=True).stdout.strip().splitlines()[-1])

    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{args.port}",
         "--workers", str(args.workers), "--threads", str(args.threads), "--worker-class", "gthread",
         "--log-level", "warning"], env=env, cwd=ROOT)
    try:
        for _ in range(200):
            try:
                c = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
                c.request("GET", "/livez")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit("gunicorn did not start")
        counter = iter(range(10**9))

        def livez(rng):
            return "GET", "/livez", None, {}

        def report(rng):
            n = next(counter)
            lon, lat = rng.choice(points)
            lon, lat = lon + rng.uniform(-0.0003, 0.0003), lat + rng.uniform(-0.0003, 0.0003)
            body = urlencode({"description": f"{rng.choice(PROBLEMS)}（第{n}次反映）", "lon": lon, "lat": lat,
                              "category": rng.choice(["SJ0101", "BJ0101", "SJ0104", "SJ0701"]),
                              "reporter_phone": f"139{n:08d}", "idempotency_key": f"bench-{n}"})
            return "POST", "/api/v1/reports", body, {"Content-Type": "application/x-www-form-urlencoded"}

        run_load(args.port, livez, min(200, args.requests), args.concurrency)  # warm up both endpoints
        run_load(args.port, report, min(50, args.requests), args.concurrency)
        results = {"livez": run_load(args.port, livez, args.requests, args.concurrency),
                   "reports": run_load(args.port, report, args.requests, args.concurrency)}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    results["ratio_reports_to_livez"] = round(results["reports"]["per_second"] / results["livez"]["per_second"], 3)
    results["config"] = vars(args)
    print(f"{'endpoint':<10} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses")
    for name in ("livez", "reports"):
        r = results[name]
        print(f"{name:<10} {r['per_second']:>8} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['p99_ms']:>8}  {r['statuses']}")
    print(f"reports / livez throughput: {results['ratio_reports_to_livez']}x  ({args.db}, {args.workers} workers x "
          f"{args.threads} threads, {args.concurrency} clients)")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
