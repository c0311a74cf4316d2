import os
import socket
import time
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand

from wangge.cases.tasks import sla_sweep_task
from wangge.core.scheduler import lease_acquire
from wangge.routing.tasks import retrain_due
from wangge.unions.tasks import phone_codes_purge_task
from wangge.vision.tasks import vision_enqueue


class Command(BaseCommand):
    help = "Enqueue periodic jobs (the SLA sweep, classifier retraining) — safe to start on several machines: one lease holder acts."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one tick, then exit")

    def handle(self, *args, once: bool, **options):
        me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        interval = settings.WANGGE_SWEEP_INTERVAL_SECONDS
        while True:
            if lease_acquire(name="periodic", holder=me, ttl_seconds=interval * 3):
                result = sla_sweep_task.enqueue()
                self.stdout.write(f"{me}: enqueued SLA sweep {result.id}")
                # Nightly-ish: each street's text classifier relearns from its newly closed cases.
                stale = retrain_due(max_age_hours=settings.WANGGE_RETRAIN_HOURS)
                if stale:
                    self.stdout.write(f"{me}: enqueued classifier retraining for jurisdictions {stale}")
                self.stdout.write(f"{me}: enqueued {vision_enqueue(seconds=interval)} camera watch job(s)")
                phone_codes_purge_task.enqueue()  # one-time phone codes hold phone numbers: kept a day at most
            if once:
                return
            time.sleep(interval)
