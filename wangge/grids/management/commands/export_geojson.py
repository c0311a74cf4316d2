import json
import sys

from django.core.management.base import BaseCommand, CommandError

from wangge.core.models import Jurisdiction
from wangge.grids import exports
from wangge.grids.models import Grid, Layer


class Command(BaseCommand):
    help = "Export the grids or one layer as GeoJSON (to stdout or --output)."

    def add_arguments(self, parser):
        parser.add_argument("--layer", default="", help="layer code; omit for the comprehensive grids")
        parser.add_argument("--jurisdiction")
        parser.add_argument("--output", "-o")

    def handle(self, *args, layer: str, jurisdiction: str | None, output: str | None, **options):
        j = Jurisdiction.objects.filter(code=jurisdiction).first() if jurisdiction else Jurisdiction.objects.first()
        if j is None:
            raise CommandError("No such jurisdiction.")
        if layer:
            obj = Layer.objects.filter(jurisdiction=j, code=layer).first()
            if obj is None:
                raise CommandError(f"No layer {layer}.")
            data = exports.layer_geojson(layer=obj)
        else:
            data = exports.grids_geojson(grids=Grid.objects.filter(jurisdiction=j))
        text = json.dumps(data, ensure_ascii=False)
        if output:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            sys.stdout.write(text + "\n")
