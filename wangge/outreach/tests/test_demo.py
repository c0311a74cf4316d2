"""The demo catalogue loads through the services on a fresh street, once."""

from wangge.outreach.demo import demo_outreach_load
from wangge.outreach.models import ConventionVersion, Event, GovernanceRider, Service, Survey


def test_demo_outreach_loads_once(territory):
    demo_outreach_load(jurisdiction=territory)
    assert set(Service.objects.values_list("kind", flat=True)) >= {"medical", "counselling", "course", "shopping",
                                                                     "insurance"}
    events = list(Event.objects.all())
    assert len(events) == 2 and all(0 < e.seats_taken < e.capacity for e in events)
    survey = Survey.objects.get()
    assert survey.status == "published" and survey.responses.count() > 10
    assert ConventionVersion.objects.get().number == 1
    assert GovernanceRider.objects.filter(active=True).count() >= 3
    demo_outreach_load(jurisdiction=territory)
    assert Service.objects.count() == 7 and Survey.objects.count() == 1
