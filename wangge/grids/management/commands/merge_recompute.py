import json

from django.core.management.base import BaseCommand

from wangge.core.models import Jurisdiction
from wangge.grids.services import merge_recompute
from wangge.grids.tasks import merge_recompute_task


class Command(BaseCommand):
    help = "Recompute the 多格合一 merge for every jurisdiction (or enqueue it with --background)."

    def add_arguments(self, parser):
        parser.add_argument("--background", action="store_true", help="enqueue as a task for the worker")

    def handle(self, *args, background: bool, **options):
        for j in Jurisdiction.objects.all():
            if background:
                result = merge_recompute_task.enqueue(j.pk)
                self.stdout.write(f"{j.code}: enqueued task {result.id}")
            else:
                run = merge_recompute(jurisdiction=j)
                self.stdout.write(f"{j.code}: {run.duration_ms} ms {json.dumps(run.stats, ensure_ascii=False)}")
