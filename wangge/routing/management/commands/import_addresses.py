"""Load an address gazetteer (门牌) from a csv or xlsx file: road, number, lane, sub_lane, building, lon, lat."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wangge.core.errors import ApplicationError
from wangge.core.models import Jurisdiction

# Column names accepted for each field (Chinese exports and our own English names).
HEADERS = {
    "road": ("road", "路名", "道路", "道路名称", "街路巷", "路"),
    "number": ("number", "门牌号", "门牌", "号", "门牌号码"),
    "lane": ("lane", "弄", "弄号"),
    "sub_lane": ("sub_lane", "支弄", "支弄号"),
    "building": ("building", "楼号", "幢", "栋", "幢号", "号楼"),
    "lon": ("lon", "lng", "longitude", "经度", "x"),
    "lat": ("lat", "latitude", "纬度", "y"),
    "full_text": ("full_text", "地址", "标准地址", "address"),
}


class Command(BaseCommand):
    help = "Import addresses into the gazetteer (upsert by normalised address; all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--jurisdiction", help="jurisdiction code (default: the only / first one)")
        parser.add_argument("--crs", default="wgs84", choices=["wgs84", "gcj02", "bd09"],
                            help="coordinate system of lon/lat in the file (stored as WGS84)")

    def handle(self, *args, path: str, jurisdiction: str | None, crs: str, **options):
        from wangge.intake.hotline import FileRejected, UnsupportedFile, header_key, read_table
        from wangge.routing.gazetteer import gazetteer_import

        j = (Jurisdiction.objects.filter(code=jurisdiction) if jurisdiction else Jurisdiction.objects.order_by("id")).first()
        if j is None:
            raise CommandError(_("No jurisdiction %(code)s.") % {"code": jurisdiction or ""})
        try:
            raw = Path(path).read_bytes()
            table = read_table(raw, filename=path)
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        except (FileRejected, UnsupportedFile) as exc:
            raise CommandError(exc.message) from exc
        synonyms = {header_key(s): field for field, names in HEADERS.items() for s in names}
        columns = {}
        for i, h in enumerate(table.header):
            columns.setdefault(synonyms.get(header_key(h)), i)
        columns.pop(None, None)
        missing = [f for f in ("road", "lon", "lat") if f not in columns]
        if missing:
            raise CommandError(_("Missing columns: %(missing)s (header: %(header)s).")
                               % {"missing": ", ".join(missing), "header": ", ".join(table.header)})
        rows, lines_in_file = [], []  # the rows with something in them, and where each is in the file
        for line, row in enumerate(table.rows, start=table.header_line + 1):
            if any(str(v).strip() for v in row if v is not None):
                rows.append({f: (row[i] if i < len(row) else None) for f, i in columns.items()})
                lines_in_file.append(line)
        try:
            result = gazetteer_import(jurisdiction=j, rows=rows, crs=crs)
        except ApplicationError as exc:
            lines = [exc.message] + ["  " + _("row %(row)s: %(reason)s") % {**d, "row": lines_in_file[d["row"] - 1]}
                                     for d in (exc.details or [])]
            raise CommandError("\n".join(lines)) from exc
        self.stdout.write(self.style.SUCCESS(
            _("%(name)s: %(rows)s rows, %(created)s new, %(updated)s updated, %(unchanged)s unchanged addresses.")
            % {"name": j.name, **result}))
