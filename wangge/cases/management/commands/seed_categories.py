from django.core.management.base import BaseCommand

from wangge.cases.services import category_seed
from wangge.core.models import Jurisdiction


class Command(BaseCommand):
    help = "Load the default two-level case classification into every jurisdiction (idempotent)."

    def handle(self, *args, **options):
        for j in Jurisdiction.objects.all():
            self.stdout.write(f"{j.code}: {category_seed(jurisdiction=j)} categories added")
