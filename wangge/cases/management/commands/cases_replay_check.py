from django.core.management.base import BaseCommand, CommandError

from wangge.cases.models import Case, CaseEvent
from wangge.cases.services import snapshot_of
from wangge.cases.workflow import OPEN_STATES, replay


class Command(BaseCommand):
    help = "Re-derive every case from its events and report any case whose stored state differs."

    def handle(self, *args, **options):
        checked, mismatches = 0, []
        events: dict[int, list] = {}
        for case_id, action, payload in CaseEvent.objects.order_by("case_id", "seq").values_list("case_id", "action", "payload").iterator(chunk_size=5000):
            events.setdefault(case_id, []).append((action, payload))
        for case in Case.objects.iterator(chunk_size=2000):
            checked += 1
            derived, stored = replay(events.get(case.pk, [])), snapshot_of(case)
            if derived != stored or case.version != len(events.get(case.pk, [])) or case.is_open != (derived.state in OPEN_STATES):
                diff = {k: (getattr(stored, k), getattr(derived, k)) for k in derived.__dataclass_fields__
                        if getattr(stored, k) != getattr(derived, k)}
                mismatches.append(f"{case.code}: stored≠replayed {diff} (version {case.version})")
        for line in mismatches:
            self.stdout.write(line)
        if mismatches:
            raise CommandError(f"{len(mismatches)} of {checked} cases differ from their event log.")
        self.stdout.write(self.style.SUCCESS(f"{checked} cases match their event logs."))
