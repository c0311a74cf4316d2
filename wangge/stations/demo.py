"""Demo data for the stations app (called by seed_demo): a dozen rest stations spread over the demo street with
their hours (day, split, night across midnight, 24 hours, weekdays only) and amenities, a holiday closure,
a host account, and merchant pledges — one of them expired and waiting for a follow-up."""

from __future__ import annotations

from datetime import timedelta

import shapely
from django.db import transaction
from django.utils import timezone

from wangge.core.geo import to_shape
from wangge.core.models import Jurisdiction
from wangge.grids.models import Grid
from wangge.stations import services
from wangge.stations.models import Station

DAILY = "08:00-20:00"
# name, kind, host type, address, amenities, weekly hours (Mon..Sun; a str for every day), phone
STATIONS = [
    ("长寿路街道暖新驿站", "warm_new", "community", "长寿路 518 号党群服务中心一楼",
     ["charging", "water", "microwave", "toilet", "aircon", "seating", "wifi", "first_aid"], DAILY, "021-62761234"),
    ("西康路爱心接力站", "love_relay", "merchant", "西康路 1068 号全家便利店",
     ["charging", "water", "microwave", "aircon", "seating"], "00:00-24:00", ""),
    ("昌化路夜间驿站", "warm_new", "community", "昌化路 300 弄居委会",
     ["water", "toilet", "seating", "charging"], "22:00-06:00", ""),
    ("武宁路楼宇驿站", "warm_new", "building", "武宁路 19 号商务楼大堂",
     ["water", "toilet", "aircon", "wifi", "seating"], ["08:00-12:00, 13:00-19:00"] * 5 + ["", ""], ""),
    ("新就业形态劳动者工会驿站", "warm_new", "union", "长寿路 380 号工会服务站",
     ["charging", "water", "microwave", "toilet", "aircon", "first_aid", "umbrella", "repair", "seating"],
     "07:00-22:00", "021-62765678"),
    ("梅岭苑居委爱心接力站", "love_relay", "community", "梅岭苑 12 号居委会",
     ["water", "toilet", "umbrella"], "09:00-17:00", ""),
    ("宜昌路加油站爱心驿站", "love_relay", "merchant", "宜昌路 55 号加油站便利店",
     ["water", "toilet", "microwave", "charging"], "00:00-24:00", ""),
    ("叶家宅社区驿站", "warm_new", "community", "叶家宅路 100 号",
     ["water", "seating", "first_aid"], ["08:30-11:30, 13:30-17:00"] * 6 + [""], ""),
    ("苏河湾商场骑手之家", "warm_new", "building", "苏河湾商场 B1",
     ["charging", "water", "microwave", "toilet", "aircon", "wifi", "seating"], "10:00-22:00", ""),
    ("大自鸣钟理发店爱心点", "love_relay", "merchant", "大自鸣钟花苑沿街 8 号",
     ["water", "seating"], ["10:00-21:00"] * 6 + ["10:00-18:00"], ""),
    ("海防村早餐铺驿站", "love_relay", "merchant", "海防村沿街 21 号",
     ["water", "microwave"], "05:30-13:30", ""),
    ("胶州花园物业驿站", "other", "community", "胶州花园 1 号门岗",
     ["water", "toilet", "umbrella", "repair"], "18:00-08:00", ""),
]

PLEDGES = [
    # merchant, kind, text, station index or None, days from today (from, until or None), contact, phone
    ("全家便利店西康路店", "free_water", "骑手免费热水、常温饮用水，可坐下休息", 1, (-120, 245), "王店长", "13800138001"),
    ("老长寿面馆", "meal_hours", "午市延长至 15:00，骑手就餐不赶人", None, (-60, 305), "李老板", "13800138002"),
    ("大自鸣钟理发店", "free_haircut", "每月第一个周一为骑手免费理发", 9, (-200, -3), "陈师傅", "13800138003"),
    ("海防村早餐铺", "love_lunch", "骑手爱心午餐：每天 20 份 10 元套餐", 10, (-30, 60), "赵阿姨", "13800138004"),
    ("苏河湾商场", "frontage", "门责三包：门前市容、绿化、秩序，非机动车有序停放", 8, (-300, None), "物业刘经理", "13800138005"),
]


def _hours_week(hours) -> dict[int, str]:
    if isinstance(hours, str):
        return {w: hours for w in range(7)}
    return dict(enumerate(hours))


@transaction.atomic
def demo_stations_load(*, jurisdiction: Jurisdiction) -> int:
    if Station.objects.filter(jurisdiction=jurisdiction).exists():
        return 0
    from wangge.accounts.models import Role, User
    from wangge.accounts.services import user_create
    from wangge.grids.demo import DEMO_PASSWORD

    grids = list(Grid.objects.filter(jurisdiction=jurisdiction).order_by("code"))
    if not grids:
        return 0
    step = max(1, len(grids) // len(STATIONS))
    places = [shapely.point_on_surface(to_shape(grids[(i * step) % len(grids)].geometry)) for i in range(len(STATIONS))]
    stations = []
    for (name, kind, host_type, address, amenities, _hours, phone), point in zip(STATIONS, places, strict=True):
        station = services.station_create(jurisdiction=jurisdiction, actor=None, name=name, lon=point.x, lat=point.y,
                                          kind=kind, host_type=host_type, address=address, phone=phone,
                                          amenities=amenities)
        stations.append(station)
    host = User.objects.filter(username="host01").first() or user_create(
        username="host01", password=DEMO_PASSWORD, role=Role.STATION_HOST, jurisdiction=jurisdiction,
        full_name="驿站站长")
    for station in stations[:2]:
        services.station_host_add(station=station, actor=None, user=host)
    for station, row in zip(stations, STATIONS, strict=True):
        services.station_hours_set(station=station, actor=None,
                                   week=_hours_week(row[5]))
    today = timezone.localdate()
    services.station_exception_set(station=stations[0], actor=host, day=today + timedelta(days=10), note="设备检修")
    services.station_status_set(station=stations[8], actor=None, status="full", note="午高峰座位已满")
    for merchant, kind, text, idx, (d0, d1), contact, phone in PLEDGES:
        at = stations[idx] if idx is not None else None
        lon, lat = (at.lon, at.lat) if at else (places[3].x + 0.0004, places[3].y)
        if at is None and not to_shape(jurisdiction.boundary).contains(shapely.Point(lon, lat)):
            lon, lat = places[3].x, places[3].y
        services.pledge_create(jurisdiction=jurisdiction, actor=None, merchant=merchant, kind=kind, text=text,
                               valid_from=today + timedelta(days=d0),
                               valid_until=today + timedelta(days=d1) if d1 is not None else None,
                               lon=lon, lat=lat, address=at.address if at else "长寿路 200 号", contact_name=contact,
                               contact_phone=phone, station=at)
    return len(stations)

