from django.core.management.base import BaseCommand

from wangge.grids.demo import DEMO_PASSWORD, demo_street_exists, demo_street_load
from wangge.grids.demo_addresses import demo_addresses_load


class Command(BaseCommand):
    help = "Generate the demo street (deterministic): boundary, grids, layers, departments, people, users."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=20261125)
        parser.add_argument("--force", action="store_true", help="load even if a territory already exists")

    def handle(self, *args, seed: int, force: bool, **options):
        if demo_street_exists() and not force:
            self.stdout.write("Demo street already loaded; nothing to do (use --force to load again).")
            return
        jurisdiction = demo_street_load(seed=seed)
        demo_addresses_load(jurisdiction=jurisdiction, seed=seed)  # the address gazetteer of the demo roads
        from django.apps import apps

        if apps.is_installed("wangge.cases"):  # the case loop adds demo cases when it is installed
            from wangge.cases.demo import demo_cases_load

            demo_cases_load(jurisdiction=jurisdiction)
        if apps.is_installed("wangge.intake"):  # and intake a few reports, some waiting for triage
            from wangge.intake.demo import demo_reports_load

            demo_reports_load(jurisdiction=jurisdiction)
        if apps.is_installed("wangge.stations"):  # rest stations and merchant pledges for riders
            from wangge.stations.demo import demo_stations_load

            demo_stations_load(jurisdiction=jurisdiction)
        if apps.is_installed("wangge.unions"):  # a union to join, services, a needs survey
            from wangge.unions.demo import demo_unions_load

            demo_unions_load(jurisdiction=jurisdiction)
        if apps.is_installed("wangge.outreach"):  # the service catalogue, events, a needs survey, the convention
            from wangge.outreach.demo import demo_outreach_load

            demo_outreach_load(jurisdiction=jurisdiction)
        self.stdout.write(self.style.SUCCESS(
            f"Loaded {jurisdiction.name}: {jurisdiction.grids.count()} grids, {jurisdiction.layers.count()} layers. "
            f"Demo logins (password {DEMO_PASSWORD}): admin, operator, leader, gw01, h-urban, h-police …"
        ))
