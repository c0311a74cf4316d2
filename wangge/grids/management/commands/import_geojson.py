import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations

from wangge.accounts.models import User
from wangge.core.errors import ApplicationError
from wangge.core.models import Jurisdiction
from wangge.grids import imports
from wangge.grids.models import LayerKind
from wangge.routing.coords import CRS_CHOICES


class Command(BaseCommand):
    help = "Import grids or a departmental layer from a GeoJSON file: validate, show the diff, then commit."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--kind", choices=["grids", "layer"], required=True)
        parser.add_argument("--layer", default="", help="layer code (for --kind layer)")
        parser.add_argument("--layer-name", default="")
        parser.add_argument("--layer-kind", default="", choices=["", *LayerKind.values])
        parser.add_argument("--jurisdiction", help="jurisdiction code (default: the only one)")
        parser.add_argument("--crs", choices=CRS_CHOICES, default=None, help="coordinate system of the file")
        parser.add_argument("--repair", action="store_true", help="repair invalid polygons instead of refusing them")
        parser.add_argument("--dry-run", action="store_true", help="validate and show the diff only")

    @no_translations  # the command speaks English, the domain refusals it prints too
    def handle(self, *args, file: Path, kind: str, layer: str, layer_name: str, layer_kind: str, jurisdiction: str | None,
               crs: str | None, repair: bool, dry_run: bool, **options):
        qs = Jurisdiction.objects.all()
        j = qs.filter(code=jurisdiction).first() if jurisdiction else (qs.first() if qs.count() == 1 else None)
        if j is None:
            raise CommandError("Name the jurisdiction with --jurisdiction CODE." if not jurisdiction
                               else f"No jurisdiction {jurisdiction}.")
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        user = User.objects.filter(is_superuser=True).first()
        try:
            batch = imports.import_preview(
                jurisdiction=j, user=user, kind=kind, raw=raw, filename=file.name, crs=crs, repair=repair,
                layer_code=layer, layer_name=layer_name, layer_kind=layer_kind,
            )
        except ApplicationError as exc:
            lines = [exc.message] + [f"  feature {e['index']} {e['code']}: {e['reason']}" for e in (exc.details or [])]
            raise CommandError("\n".join(lines)) from exc
        diff = batch.diff
        self.stdout.write(
            f"{len(batch.features)} features: {len(diff['added'])} added, {len(diff['removed'])} removed, "
            f"{len(diff['reshaped'])} reshaped, {len(diff['renamed'])} renamed, {diff['unchanged']} unchanged; "
            f"{len(diff['coverage_changed'])} grids change coverage."
        )
        for r in batch.repaired:
            self.stdout.write(f"  repaired feature {r['index']} {r['code']}: {r['reason']}")
        if options.get("verbosity", 1) > 1:
            self.stdout.write(json.dumps(diff, ensure_ascii=False, indent=1))
        if dry_run:
            imports.import_discard(jurisdiction=j, batch_id=batch.pk)
            self.stdout.write("Dry run: nothing written.")
            return
        try:
            imports.import_commit(jurisdiction=j, batch_id=batch.pk, user=user)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"Imported; merge recomputed (import #{batch.pk})."))
