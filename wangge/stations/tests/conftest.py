"""Stations on the 1 km fixture territory (centre 121.44, 31.24): positions in metres from its south-west corner."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from conftest import metres
from wangge.accounts.models import Role
from wangge.accounts.services import user_create
from wangge.stations import services

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALL_DAY = {w: "00:00-24:00" for w in range(7)}


def at(x: float, y: float):
    """A WGS84 point x, y metres from the fixture territory's south-west corner."""
    return metres(x, y, x + 1, y + 1).centroid


def local(y, m, d, hh, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def make_station(j, name, x, y, amenities, week=None, **kw):
    p = at(x, y)
    station = services.station_create(jurisdiction=j, actor=None, name=name, lon=p.x, lat=p.y, amenities=amenities, **kw)
    if week:
        services.station_hours_set(station=station, actor=None, week=week)
    return station


@pytest.fixture
def street(territory, people):
    """Four stations around (500, 500): the nearest has no microwave; the 24-hour one with a microwave is 200 m
    away; a night station (22:00–06:00) with a microwave is 100 m away; one with no hours is closed."""
    j = territory
    users = dict(people)
    users["host"] = user_create(username="host1", password="pw-host-1", role=Role.STATION_HOST, jurisdiction=j)
    users["host2"] = user_create(username="host2", password="pw-host-2", role=Role.STATION_HOST, jurisdiction=j)
    users["union"] = user_create(username="union1", password="pw-union-1", role=Role.UNION_STAFF, jurisdiction=j)
    s = {
        "near": make_station(j, "近处驿站", 520, 500, ["water", "toilet"], ALL_DAY),
        "day": make_station(j, "全天驿站", 700, 500, ["water", "microwave", "charging"], ALL_DAY, phone="021-62345678"),
        "night": make_station(j, "夜间驿站", 500, 600, ["microwave", "water"], {w: "22:00-06:00" for w in range(7)}),
        "nohours": make_station(j, "未开驿站", 510, 510, ["microwave", "water", "toilet"]),
    }
    services.station_host_add(station=s["day"], actor=None, user=users["host"])
    services.station_host_add(station=s["near"], actor=None, user=users["host2"])
    return {"j": j, "users": users, "s": s, "centre": at(500, 500)}


@pytest.fixture
def pledges(street):
    j = street["j"]
    p = at(480, 480)
    today = timezone.localdate()
    active = services.pledge_create(jurisdiction=j, actor=None, merchant="老长寿面馆", kind="meal_hours",
                                    text="午市延长到 15:00", valid_from=today - timedelta(days=365),
                                    valid_until=today + timedelta(days=365), lon=p.x, lat=p.y,
                                    contact_name="李老板", contact_phone="13812345678")
    expired = services.pledge_create(jurisdiction=j, actor=None, merchant="阿强理发", kind="free_haircut",
                                     text="骑手免费理发", valid_from=today - timedelta(days=365),
                                     valid_until=today - timedelta(days=3), lon=p.x, lat=p.y,
                                     contact_name="阿强", contact_phone="13900001111")
    return {"active": active, "expired": expired}
