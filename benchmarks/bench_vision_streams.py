"""End-to-end camera watching: N file cameras at 1 frame/s through the real watch path for S seconds.

Source (FileSource, paced by media time) → the default counter (SSDLite, as deployed) → zone counts →
the persisted alert state machine and per-minute history → (on a gathering) an alert and a case. All in
one `watch.Watcher` loop, as one watch job runs it. Videos are written to /tmp (synthetic 1024×768 street
frames, or crowd-dev photos with --data; never into the repository); the database is a throw-away SQLite
file in /tmp, migrated at start.

    taskset -c 0,1 .venv/bin/python benchmarks/bench_vision_streams.py                 # 4 cameras, 60 s
    .venv/bin/python benchmarks/bench_vision_streams.py --cameras 4 --seconds 60 --threads 2

Reports frames due vs analysed, the lag of each analysed frame behind its due time (p50/p95/max), process
CPU use and the load average. Only numbers are printed and written (benchmarks/out/vision_streams.json).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--cameras", type=int, default=4)
ap.add_argument("--seconds", type=float, default=60.0)
ap.add_argument("--fps", type=float, default=1.0, help="samples per second per camera")
ap.add_argument("--threads", type=int, default=2, help="counter threads")
ap.add_argument("--data", default="", help="a crowd-dev style folder whose images/ become the video frames")
ap.add_argument("--cores", default="0,1", help="CPU cores to pin to (empty: all)")
ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "vision_streams.json"))
args = ap.parse_args()
if args.cores:
    os.sched_setaffinity(0, {int(c) for c in args.cores.split(",")})
WORK = Path(tempfile.mkdtemp(prefix="wangge-bench-vision-"))
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import cv2  # noqa: E402
import django  # noqa: E402
import numpy as np  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from conftest import GRIDS, POLICE, URBAN, commit, fc, metres  # noqa: E402
from wangge.accounts.models import Role  # noqa: E402
from wangge.accounts.services import user_create  # noqa: E402
from wangge.cases.services import category_seed  # noqa: E402
from wangge.core.geo import to_geojson  # noqa: E402
from wangge.core.services import jurisdiction_upsert  # noqa: E402
from wangge.vision import services, watch  # noqa: E402
from wangge.vision.counting import build_counter  # noqa: E402
from wangge.vision.models import GatheringAlert, ZoneMinute  # noqa: E402

W, H = 1024, 768


def synthetic(i: int) -> np.ndarray:
    rng = np.random.default_rng(i)
    img = (rng.integers(70, 150, (H // 8, W // 8, 3), dtype=np.uint8)).repeat(8, 0).repeat(8, 1)
    img = cv2.GaussianBlur(img, (9, 9), 0)
    for _ in range(5 + i % 20):  # figures: head + body
        x, y = int(rng.integers(40, W - 60)), int(rng.integers(200, H - 120))
        cv2.rectangle(img, (x, y), (x + 28, y + 90), tuple(int(c) for c in rng.integers(0, 255, 3)), -1)
        cv2.circle(img, (x + 14, y - 12), 12, (60, 80, 120), -1)
    return img


def frames() -> list[np.ndarray]:
    if args.data:
        paths = sorted(
            p for p in (Path(args.data) / "images").iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png")
        )
        return [cv2.resize(cv2.imread(str(p)), (W, H)) for p in paths]
    return [synthetic(i) for i in range(24)]


def make_video(path: Path, pictures: list[np.ndarray], seconds: float, fps: int = 5) -> str:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (W, H))
    for k in range(int(seconds) + 5):
        for _ in range(fps):
            writer.write(pictures[k % len(pictures)])
    writer.release()
    return str(path)


def main() -> None:
    call_command("migrate", verbosity=0)
    j = jurisdiction_upsert(code="B1", name="基准街道", boundary=to_geojson(metres(0, 0, 1000, 1000), 9))
    admin = user_create(
        username="admin", password="pw-admin-1", role=Role.ADMIN, jurisdiction=j, is_superuser=True
    )
    commit(j, admin, "grids", fc(GRIDS))
    commit(j, admin, "layer", fc(POLICE), layer_code="police", layer_name="警格", layer_kind="police")
    commit(j, admin, "layer", fc(URBAN), layer_code="urban", layer_name="城管网格", layer_kind="urban")
    category_seed(jurisdiction=j)
    settings.WANGGE_VISION_FILE_ROOT = str(WORK)
    pictures = frames()
    cameras = []
    for n in range(args.cameras):
        video = make_video(WORK / f"cam{n}.avi", pictures[n:] + pictures[:n], args.seconds)
        p = metres(100 + 10 * n, 300, 101 + 10 * n, 301).centroid
        cam = services.camera_register(
            jurisdiction=j,
            actor=admin,
            name=f"摄像头{n + 1}",
            lon=p.x,
            lat=p.y,
            kind="file",
            stream_url=video,
            sample_fps=args.fps,
        )
        cam = services.camera_snapshot(camera=cam, actor=admin)
        services.zone_save(
            camera=cam,
            actor=admin,
            name="路口",
            polygon=[[0, 300], [W - 1, 300], [W - 1, H - 1], [0, H - 1]],
            alert_level=10,
            clear_level=6,
            hold_seconds=20,
            window_seconds=10,
            cooldown_seconds=60,
        )
        cameras.append(cam)
    counter = build_counter(threads=args.threads)
    counter.count(pictures[0])  # load and warm the model outside the timed run

    lags: list[float] = []
    tick = services.analyse_camera_tick

    def timed_tick(*, camera, image, at, counter=None):
        result = tick(camera=camera, image=image, at=at, counter=counter)
        lags.append((django.utils.timezone.now() - at).total_seconds())
        return result

    watch.services.analyse_camera_tick = timed_tick
    load_before = os.getloadavg()
    cpu0, t0 = os.times(), time.perf_counter()
    analysed = watch.Watcher(cameras, counter=counter).run(seconds=args.seconds, idle_sleep=0.01)
    cpu1, wall = os.times(), time.perf_counter() - t0
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    lag = np.array(lags) if lags else np.array([float("nan")])
    due = int(args.cameras * args.seconds * args.fps)
    result = {
        "cameras": args.cameras,
        "seconds": args.seconds,
        "fps": args.fps,
        "counter_threads": args.threads,
        "cores": args.cores or "all",
        "frames_due": due,
        "frames_analysed": analysed,
        "analysed_per_s": round(analysed / wall, 2),
        "share_analysed": round(analysed / due, 3),
        "lag_p50_s": round(float(np.percentile(lag, 50)), 2),
        "lag_p95_s": round(float(np.percentile(lag, 95)), 2),
        "lag_max_s": round(float(lag.max()), 2),
        "cpu_s": round(cpu, 1),
        "cpu_cores_used": round(cpu / wall, 2),
        "cpu_ms_per_frame": round(1000 * cpu / max(1, analysed), 1),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "alerts": GatheringAlert.objects.count(),
        "zone_minutes": ZoneMinute.objects.count(),
        "frames": "crowd-dev" if args.data else "synthetic",
    }
    print(json.dumps(result, indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
