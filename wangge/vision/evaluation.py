"""Evaluate a people counter on a folder laid out like ../shared/data/crowd-dev:

    counts.csv      file,count   (file relative to the folder, e.g. images/x.jpg; count = annotated heads)
    images/…        the photos

Numbers only (MAE, RMSE, bias, precision/recall of "at least N people" flags, time per frame); the
photos are read, never copied or written anywhere.
"""

from __future__ import annotations

import csv
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .counting import TiledCounter, VisionError


class EvalDataError(VisionError):
    code = "vision_eval_data"


@dataclass(frozen=True)
class FlagScore:
    level: int
    true_pos: int
    false_pos: int
    false_neg: int
    precision: float | None  # None when nothing was flagged
    recall: float | None  # None when nothing should have been


@dataclass
class EvalResult:
    frames: int
    mae: float
    rmse: float
    bias: float  # mean (predicted - truth)
    flags: list[FlagScore]
    ms_per_frame: float  # wall clock, mean
    ms_per_frame_median: float
    cpu_ms_per_frame: float  # process CPU time (all threads), mean
    rows: list[dict] = field(default_factory=list)  # file, truth, predicted, ms

    @property
    def frames_per_second(self) -> float:
        return 1000.0 / self.ms_per_frame if self.ms_per_frame > 0 else math.inf

    def as_dict(self) -> dict:
        data = asdict(self)
        data["frames_per_second"] = self.frames_per_second
        return data


def load_counts(folder: Path) -> list[tuple[Path, int]]:
    csv_path = folder / "counts.csv"
    if not csv_path.is_file():
        raise EvalDataError(f"{folder}: no counts.csv (expected columns file,count).")
    items: list[tuple[Path, int]] = []
    try:
        with csv_path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or not {"file", "count"} <= set(reader.fieldnames):
                raise EvalDataError(f"{csv_path}: needs the columns file,count; found {reader.fieldnames}.")
            for line, row in enumerate(reader, start=2):
                rel = (row.get("file") or "").strip()
                try:
                    count = int(row.get("count") or "")
                except ValueError:
                    raise EvalDataError(f"{csv_path}:{line}: count is not a whole number.") from None
                path = (folder / rel).resolve()
                if not rel or count < 0 or not path.is_relative_to(folder.resolve()):
                    raise EvalDataError(f"{csv_path}:{line}: bad file name or negative count.")
                if not path.is_file():
                    raise EvalDataError(f"{csv_path}:{line}: {rel} not found.")
                items.append((path, count))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise EvalDataError(f"{csv_path}: {exc}") from exc
    if not items:
        raise EvalDataError(f"{csv_path}: no rows.")
    return items


def flag_scores(truth: list[int], predicted: list[int], level: int) -> FlagScore:
    tp = sum(t >= level and p >= level for t, p in zip(truth, predicted, strict=True))
    fp = sum(t < level <= p for t, p in zip(truth, predicted, strict=True))
    fn = sum(p < level <= t for t, p in zip(truth, predicted, strict=True))
    return FlagScore(
        level=level, true_pos=tp, false_pos=fp, false_neg=fn,
        precision=tp / (tp + fp) if tp + fp else None,
        recall=tp / (tp + fn) if tp + fn else None,
    )


def evaluate(folder: Path, counter: TiledCounter, *, levels: tuple[int, ...] = (10, 20), warmup: bool = True) -> EvalResult:
    import cv2

    items = load_counts(folder)
    images = []
    for path, truth in items:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise EvalDataError(f"{path.name}: not a readable image.")
        images.append((path, truth, image))
    if warmup:
        counter.count(images[0][2])  # first-call allocations are not a frame's cost
    rows, walls = [], []
    cpu0 = time.process_time()
    for path, truth, image in images:
        t0 = time.perf_counter()
        predicted = counter.count(image).count
        ms = (time.perf_counter() - t0) * 1000.0
        walls.append(ms)
        rows.append({"file": path.relative_to(folder.resolve()).as_posix() if path.is_relative_to(folder.resolve()) else path.name,
                     "truth": truth, "predicted": predicted, "ms": round(ms, 1)})
    cpu_ms = (time.process_time() - cpu0) * 1000.0 / len(images)
    truth = [r["truth"] for r in rows]
    pred = [r["predicted"] for r in rows]
    errors = [p - t for p, t in zip(pred, truth, strict=True)]
    walls_sorted = sorted(walls)
    return EvalResult(
        frames=len(rows),
        mae=sum(abs(e) for e in errors) / len(errors),
        rmse=math.sqrt(sum(e * e for e in errors) / len(errors)),
        bias=sum(errors) / len(errors),
        flags=[flag_scores(truth, pred, level) for level in levels],
        ms_per_frame=sum(walls) / len(walls),
        ms_per_frame_median=walls_sorted[len(walls_sorted) // 2],
        cpu_ms_per_frame=cpu_ms,
        rows=rows,
    )
