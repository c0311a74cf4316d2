"""Evaluate the people counter on a folder laid out like ../shared/data/crowd-dev (counts.csv + images)."""

import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wangge.vision.counting import (
    OVERVIEW_THRESHOLD,
    SsdLitePersonDetector,
    TilingConfig,
    VisionError,
    build_counter,
)
from wangge.vision.evaluation import evaluate


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


class Command(BaseCommand):
    help = "People-counting accuracy (MAE, RMSE, ≥N flags) and time per frame on a labelled folder."

    def add_arguments(self, parser):
        defaults_t, defaults_d = TilingConfig(), SsdLitePersonDetector.DEFAULTS
        parser.add_argument("folder", help="a folder with counts.csv (file,count) and the images it names")
        parser.add_argument("--levels", default="10,20", help="comma-separated N of the '≥ N people' flags")
        parser.add_argument("--threshold", type=float, default=defaults_d["score_threshold"], help="detection score")
        parser.add_argument("--scale", type=float, default=defaults_d["input_scale"], help="model pixels per image pixel")
        parser.add_argument("--tile", type=int, default=defaults_t.tile, help="tile side in image pixels")
        parser.add_argument("--overlap", type=float, default=defaults_t.overlap)
        parser.add_argument("--threads", type=int, default=defaults_d["threads"])
        parser.add_argument("--backend", choices=["opencv", "onnxruntime"], default=defaults_d["backend"])
        parser.add_argument("--no-overview", action="store_true", help="skip the 300×300 whole-frame pass")
        parser.add_argument("--overview-threshold", type=float, default=OVERVIEW_THRESHOLD)
        parser.add_argument("--model", help="the .onnx (default: the set-up one)")
        parser.add_argument("--json", dest="json_out", help="also write the numbers (no image data) to this file")
        parser.add_argument("--per-frame", action="store_true", help="print each frame's truth and count")

    def handle(self, *args, folder, levels, threshold, scale, tile, overlap, threads, backend, model, json_out,
               per_frame, no_overview, overview_threshold, **options):
        root = Path(folder)
        if not root.is_dir():
            raise CommandError(f"{folder}: not a folder.")
        try:
            level_list = tuple(int(x) for x in levels.split(",") if x.strip())
        except ValueError:
            raise CommandError("--levels: whole numbers separated by commas.") from None
        try:
            counter = build_counter(
                Path(model) if model else None, tiling=TilingConfig(tile=tile, overlap=overlap),
                overview=not no_overview, overview_threshold=overview_threshold, score_threshold=threshold, input_scale=scale, threads=threads,
                backend=backend,
            )
            result = evaluate(root, counter, levels=level_list)
        except (VisionError, ValueError) as exc:
            raise CommandError(str(getattr(exc, "message", exc))) from exc
        out = self.stdout
        if per_frame:
            for row in result.rows:
                out.write(f"{row['file']}\ttruth {row['truth']}\tcounted {row['predicted']}\t{row['ms']:.0f} ms")
        out.write(f"frames {result.frames}  MAE {result.mae:.2f}  RMSE {result.rmse:.2f}  bias {result.bias:+.2f}")
        for f in result.flags:
            out.write(f"≥{f.level}: precision {_fmt(f.precision)}  recall {_fmt(f.recall)}  "
                      f"(tp {f.true_pos}, fp {f.false_pos}, fn {f.false_neg})")
        out.write(f"time per frame {result.ms_per_frame:.0f} ms (median {result.ms_per_frame_median:.0f}), "
                  f"CPU {result.cpu_ms_per_frame:.0f} ms; {result.frames_per_second:.2f} frames/s "
                  f"on {os.cpu_count()} CPUs, {threads} threads, {backend}")
        if json_out:
            data = result.as_dict()
            data["config"] = {"threshold": threshold, "scale": scale, "tile": tile, "overlap": overlap,
                              "threads": threads, "backend": backend, "overview": not no_overview,
                              "overview_threshold": overview_threshold}
            Path(json_out).parent.mkdir(parents=True, exist_ok=True)
            Path(json_out).write_text(json.dumps(data, indent=2))
