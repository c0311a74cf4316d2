"""People-counting benchmark on a folder laid out like ../shared/data/crowd-dev (never copied here).

  1. accuracy and latency: `wangge.vision.evaluation.evaluate` with the default counter (what
     `manage.py vision_eval` prints): MAE, RMSE, precision/recall of the "≥ N people" flags, ms per frame;
  2. throughput: frames/s of the counter on `--cores` cores, run as W worker processes × T threads
     (each worker counts every image `--rounds` times), for each `--layouts` entry "WxT". Streams at
     1 frame/s that the cores can follow = frames/s.

    .venv/bin/python benchmarks/bench_vision.py --data ../shared/data/crowd-dev            # ~2 min
    .venv/bin/python benchmarks/bench_vision.py --data … --layouts 1x2,2x1 --rounds 2

Only numbers are printed and written (benchmarks/out/vision.json); never an image.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from wangge.vision.counting import build_counter  # noqa: E402
from wangge.vision.evaluation import evaluate, load_counts  # noqa: E402

OUT = ROOT / "benchmarks" / "out"


def _worker(args):
    paths, threads, rounds, start = args
    import cv2

    cv2.setNumThreads(threads)
    counter = build_counter(threads=threads)
    images = [cv2.imread(str(p)) for p in paths]
    counter.count(images[0])
    while time.time() < start:  # all workers start together
        time.sleep(0.001)
    t0 = time.perf_counter()
    n = 0
    for _ in range(rounds):
        for image in images:
            counter.count(image)
            n += 1
    return n, t0, time.perf_counter()


def throughput(paths, workers: int, threads: int, rounds: int) -> dict:
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers) as pool:
        start = time.time() + 15  # after every worker has loaded the model
        results = pool.map(_worker, [(paths, threads, rounds, start)] * workers)
    frames = sum(n for n, _a, _b in results)
    wall = max(b for _n, _a, b in results) - min(a for _n, a, _b in results)
    return {"workers": workers, "threads": threads, "frames": frames, "seconds": wall, "frames_per_second": frames / wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "crowd-dev"))
    ap.add_argument("--layouts", default="1x2,2x1", help="worker processes x threads each, comma-separated")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--cores", default="0,1", help="CPU cores to pin to (taskset-style list; empty: all)")
    ap.add_argument("--out", default=str(OUT / "vision.json"))
    args = ap.parse_args()
    if args.cores:
        os.sched_setaffinity(0, {int(c) for c in args.cores.split(",")})
    folder = Path(args.data)
    result = evaluate(folder, build_counter(threads=2))
    print(f"frames {result.frames}  MAE {result.mae:.2f}  RMSE {result.rmse:.2f}  bias {result.bias:+.2f}")
    for f in result.flags:
        print(f"≥{f.level}: precision {f.precision}  recall {f.recall}  (tp {f.true_pos}, fp {f.false_pos}, fn {f.false_neg})")
    print(f"latency: {result.ms_per_frame:.0f} ms/frame (median {result.ms_per_frame_median:.0f}), CPU {result.cpu_ms_per_frame:.0f} ms")
    paths = [p for p, _c in load_counts(folder)]
    runs = []
    for layout in args.layouts.split(","):
        w, t = (int(x) for x in layout.lower().split("x"))
        run = throughput(paths, w, t, args.rounds)
        runs.append(run)
        print(f"throughput {w} worker(s) x {t} thread(s): {run['frames_per_second']:.2f} frames/s "
              f"({run['frames']} frames in {run['seconds']:.1f} s)")
    load = os.getloadavg()
    print(f"machine: {platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} cores pinned, "
          f"load average at the end {load[0]:.1f}")
    OUT.mkdir(parents=True, exist_ok=True)
    data = result.as_dict()
    data.pop("rows")
    data.update({"throughput": runs, "load_average": load, "cores": sorted(os.sched_getaffinity(0))})
    Path(args.out).write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
