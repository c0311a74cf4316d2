"""The demo loader fills a street with stations, hours, a host and pledges, once."""

from django.utils import timezone

from wangge.stations import selectors
from wangge.stations.demo import STATIONS, demo_stations_load
from wangge.stations.models import OpeningHours, Pledge, Station, StationHost


def test_demo_stations_load_once(territory):
    assert demo_stations_load(jurisdiction=territory) == len(STATIONS)
    assert demo_stations_load(jurisdiction=territory) == 0
    assert Station.objects.count() == 12 and StationHost.objects.filter(user__username="host01").count() == 2
    assert OpeningHours.objects.filter(station__name="昌化路夜间驿站", start=1320, end=360).count() == 7
    data = selectors.pledges_for_staff(jurisdiction=territory, unmasked=True)
    assert len(data["pledges"]) == Pledge.objects.count() == 5
    assert [p["merchant"] for p in data["follow_up"]] == ["大自鸣钟理发店"]
    assert all(p["valid_until"] is None or p["valid_until"] >= timezone.localdate() for p in data["pledges"]
               if not p["expired"])
