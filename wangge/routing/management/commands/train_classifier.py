"""Train a jurisdiction's free-text classifier and make it the active one."""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wangge.core.errors import ApplicationError
from wangge.core.models import Jurisdiction
from wangge.routing.classify import classifier_history_samples, classifier_seed_samples, classifier_train
from wangge.routing.models import ClassifierSource


def read_csv(path: str) -> list[tuple[str, str]]:
    """A UTF-8 (BOM allowed) CSV with ``text`` and ``label`` columns, in any order."""
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
                raise CommandError(f"{path}: needs the columns text,label; found {reader.fieldnames}.")
            return [(row["text"] or "", row["label"] or "") for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CommandError(f"{path}: {exc}") from exc


class Command(BaseCommand):
    help = "Train the text classifier of a jurisdiction (from category keywords, closed cases or a CSV)."

    def add_arguments(self, parser):
        parser.add_argument("--jurisdiction", help="jurisdiction code (default: the first one)")
        parser.add_argument("--source", choices=["seed", "history", "seed+history", "csv"], default="seed")
        parser.add_argument("--csv", dest="csv_path", help="with --source csv: a CSV with text,label columns")
        parser.add_argument("--cv", type=int, default=0, help="also cross-validate with this many folds (≥ 2)")

    def handle(self, *args, jurisdiction: str | None, source: str, csv_path: str | None, cv: int, **options):
        j = (Jurisdiction.objects.filter(code=jurisdiction) if jurisdiction
             else Jurisdiction.objects.order_by("id")).first()
        if j is None:
            raise CommandError(f"No jurisdiction {jurisdiction or ''}.")
        if source == "csv":
            if not csv_path:
                raise CommandError("--source csv needs --csv PATH.")
            samples = read_csv(csv_path)
        else:
            samples = []
            if source in ("seed", "seed+history"):
                samples += classifier_seed_samples(jurisdiction=j)
            if source in ("history", "seed+history"):
                samples += classifier_history_samples(jurisdiction=j)
        try:
            row = classifier_train(jurisdiction=j, samples=samples, source=ClassifierSource(source), cv_folds=cv)
        except ApplicationError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        scores = {k: v for k, v in row.metrics.items() if k.startswith("cv_")}
        self.stdout.write(f"{j.code}: classifier #{row.pk} active: {len(row.labels)} labels, "
                          f"{row.n_samples} samples, source {row.source}" + (f", {scores}" if scores else ""))
        if row.metrics.get("dropped_labels"):
            self.stdout.write(f"left out (fewer than 3 samples): {row.metrics['dropped_labels']}")
