"""Reads of the stations app: the nearest open stations, a station's public card, pledges nearby, statistics.

The nearest query prefilters on the indexed (lat, lon) columns with a box around the rider, sized from the
street's station density and growing until it holds `limit` stations open now within its inscribed circle or
covers the street; the amenity filter is one SQL condition on the bitmask; exact distances and "open now" are
computed in Python from the candidates' hours of yesterday and today (read in the same round), so a station
open 22:00–06:00 is found at 02:00.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from urllib.parse import quote

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.errors import ApplicationError
from wangge.core.models import Jurisdiction
from wangge.core.privacy import mask_name, mask_phone
from wangge.routing.coords import from_wgs84
from wangge.stations import hours as H
from wangge.stations.models import (
    Amenity,
    HoursException,
    LiveStatus,
    OpeningHours,
    Pledge,
    Station,
    StationCheckIn,
    StationFeedback,
)

EARTH_RADIUS_M = 6_371_008.8
M_PER_DEG_LAT = EARTH_RADIUS_M * math.pi / 180
FIRST_RADIUS_M = 800
MAX_LIMIT = 50
# A rider just outside the street still finds its stations; further away is not this street's business.
SEARCH_MARGIN_M = 3000
AMENITY_INFO = {code: (label, icon) for code, _bit, label, icon in Amenity.CHOICES}


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Haversine distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _box(lon: float, lat: float, radius: float) -> tuple[float, float, float, float]:
    dlat = radius / M_PER_DEG_LAT
    dlon = radius / (M_PER_DEG_LAT * max(0.01, math.cos(math.radians(lat))))
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def check_search_point(*, jurisdiction: Jurisdiction, lon: float, lat: float) -> None:
    """A rider's place must be in (or within SEARCH_MARGIN_M of) the street's bounding box."""
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise ApplicationError(_("Longitude and latitude must be finite numbers in range."), code="invalid_coordinates")
    minx, miny, maxx, maxy = _box(lon, lat, SEARCH_MARGIN_M)
    if maxx < jurisdiction.min_lon or minx > jurisdiction.max_lon or maxy < jurisdiction.min_lat or miny > jurisdiction.max_lat:
        raise ApplicationError(_("(%(lon)s, %(lat)s) is outside %(street)s: its stations are for riders in or near the street.")
                               % {"lon": f"{lon:.6f}", "lat": f"{lat:.6f}", "street": jurisdiction.name},
                               code="outside_jurisdiction")


def _max_radius(jurisdiction: Jurisdiction, lon: float, lat: float) -> float:
    return max(distance_m(lon, lat, x, y) for x in (jurisdiction.min_lon, jurisdiction.max_lon)
               for y in (jurisdiction.min_lat, jurisdiction.max_lat)) + 1


def hours_for(station_ids, days: list[date]) -> tuple[dict, dict]:
    """({station_id: {weekday: [(start, end)]}}, {station_id: {date: [(start, end)]}}) for those dates."""
    weekly: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    exceptions: dict[int, dict[date, list]] = defaultdict(dict)
    ids = list(station_ids)
    if not ids:
        return weekly, exceptions
    weekdays = sorted({d.weekday() for d in days})
    qs = OpeningHours.objects.filter(station_id__in=ids)
    if len(weekdays) < 7:
        qs = qs.filter(weekday__in=weekdays)
    for sid, w, s, e in qs.values_list("station_id", "weekday", "start", "end"):
        weekly[sid][w].append((s, e))
    for sid, d, closed, s, e in (HoursException.objects.filter(station_id__in=ids, date__in=days)
                                 .values_list("station_id", "date", "closed", "start", "end")):
        exceptions[sid][d] = [] if closed else [(s, e)]
    return weekly, exceptions


# Per process: stations per m² of each street, to size the first search box (an estimate only: a stale value
# costs one more round, never a wrong answer).
_density: dict[int, tuple[float, float]] = {}
DENSITY_TTL_S = 60.0


def _start_radius(jurisdiction: Jurisdiction, limit: int, max_radius: float) -> float:
    cached = _density.get(jurisdiction.pk)
    if cached is None or time.monotonic() - cached[1] > DENSITY_TTL_S:
        n = Station.objects.filter(jurisdiction=jurisdiction, active=True).count()
        area = jurisdiction.area_m2 or 1.0
        cached = (n / area, time.monotonic())
        _density[jurisdiction.pk] = cached
    if cached[0] <= 0:
        return max_radius
    # A circle expected to hold 4 × limit stations before the amenity and open-now filters.
    return min(max_radius, max(FIRST_RADIUS_M / 4, math.sqrt(4 * limit / (math.pi * cached[0]))))


def _candidates_sql(amenities: int, open_now: bool) -> tuple[str, str]:
    """The two statements of one round, as plain SQL over the indexed columns (the ORM's own statement building
    cost more than the database on this path): stations in the box with yesterday's and today's weekly hours,
    and those stations' exceptions of the two dates."""
    qn = connection.ops.quote_name
    st, oh, ex = Station._meta.db_table, OpeningHours._meta.db_table, HoursException._meta.db_table
    where = (f"s.{qn('jurisdiction_id')} = %s AND s.{qn('active')} = %s AND s.{qn('lat')} BETWEEN %s AND %s "
             f"AND s.{qn('lon')} BETWEEN %s AND %s")
    if amenities:
        where += f" AND (s.{qn('amenities')} & %s) = %s"
    if open_now:
        where += f" AND s.{qn('live_status')} <> %s"
    # Names come from the models and quote_name; every value is a parameter.
    stations = (f"SELECT s.{qn('id')}, s.{qn('lon')}, s.{qn('lat')}, h.{qn('weekday')}, h.{qn('start')}, h.{qn('end')} "  # noqa: S608
                f"FROM {qn(st)} s LEFT JOIN {qn(oh)} h ON h.{qn('station_id')} = s.{qn('id')} "
                f"AND h.{qn('weekday')} IN (%s, %s) WHERE {where}")
    exceptions = (f"SELECT e.{qn('station_id')}, e.{qn('date')}, e.{qn('closed')}, e.{qn('start')}, e.{qn('end')} "  # noqa: S608
                  f"FROM {qn(ex)} e JOIN {qn(st)} s ON s.{qn('id')} = e.{qn('station_id')} "
                  f"WHERE e.{qn('date')} IN (%s, %s) AND {where}")
    return stations, exceptions


def nearest_ids(*, jurisdiction: Jurisdiction, lon: float, lat: float, amenities: int = 0, open_now: bool = True,
                limit: int = 5, now: datetime | None = None) -> list[tuple[int, float]]:
    """(station id, distance m) of the `limit` nearest stations that have every amenity in the mask and, when
    `open_now`, are open at `now` (default: now) and not marked closed.

    Rounds: the stations in a box around the place (with their hours of yesterday and today in the same
    statement), exact distances, open-now; when fewer than `limit` qualify inside the box's inscribed circle, the
    radius grows by what the found share suggests (×1.5 to ×4) until the street is covered."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    local = timezone.localtime(now or timezone.now())
    days = [local.date() - timedelta(days=1), local.date()]
    day_keys = {d.isoformat(): d for d in days}
    max_radius = _max_radius(jurisdiction, lon, lat)
    radius = _start_radius(jurisdiction, limit, max_radius)
    stations_sql, exceptions_sql = _candidates_sql(amenities, open_now)
    while True:
        minx, miny, maxx, maxy = _box(lon, lat, radius)
        params = [jurisdiction.pk, True, miny, maxy, minx, maxx]
        if amenities:
            params += [amenities, amenities]
        if open_now:
            params.append(LiveStatus.CLOSED.value)
        coords: dict[int, tuple[float, float]] = {}
        weekly: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
        exceptions: dict[int, dict[date, list]] = defaultdict(dict)
        with connection.cursor() as cur:
            cur.execute(stations_sql, [days[0].weekday(), days[1].weekday(), *params])
            for sid, x, y, w, s, e in cur.fetchall():
                coords[sid] = (x, y)
                if w is not None:
                    weekly[sid][w].append((s, e))
            if open_now:
                cur.execute(exceptions_sql, [connection.ops.adapt_datefield_value(d) for d in days] + params)
                for sid, d, closed, s, e in cur.fetchall():
                    exceptions[sid][day_keys[str(d)[:10]]] = [] if closed else [(s, e)]
        near = sorted((dist, sid) for sid, (x, y) in coords.items() if (dist := distance_m(lon, lat, x, y)) <= radius)
        if open_now:
            near = [(d, sid) for d, sid in near if H.is_open(local, weekly.get(sid, {}), exceptions.get(sid, {}))]
        if len(near) >= limit or radius >= max_radius:
            return [(sid, d) for d, sid in near[:limit]]
        radius = min(max_radius, radius * min(4.0, max(1.5, 1.2 * math.sqrt(limit / max(len(near), 0.5)))))


def directions_url(station: Station) -> str:
    """AMap (高德) navigation by bike to the station: AMap wants GCJ-02, so the stored WGS84 is converted."""
    glon, glat = from_wgs84(station.lon, station.lat, "gcj02")
    return (f"https://uri.amap.com/navigation?to={glon:.6f},{glat:.6f},{quote(station.name)}"
            "&mode=ride&coordinate=gaode&callnative=1")


def amenity_list(mask: int) -> list[dict]:
    return [{"code": code, "label": str(label), "icon": icon} for code, bit, label, icon in Amenity.CHOICES if mask & bit]


def _today_text(local: datetime, weekly: dict, exceptions: dict) -> str:
    intervals = H.day_intervals(local.date(), weekly, exceptions)
    return ", ".join(H.fmt_interval(iv) for iv in intervals)


def _week_hours(ids: list[int], first: date, last: date) -> tuple[dict, dict]:
    """Every weekly interval of a few stations and their exceptions from `first` to `last`, in one plain statement
    (the cards' hot path: three ORM queries cost more than the database does)."""
    weekly: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    exceptions: dict[int, dict[date, list]] = defaultdict(dict)
    if not ids:
        return weekly, exceptions
    qn = connection.ops.quote_name
    oh, ex = qn(OpeningHours._meta.db_table), qn(HoursException._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    sql = (f"SELECT {qn('station_id')}, {qn('weekday')}, NULL, %s, {qn('start')}, {qn('end')} FROM {oh} "  # noqa: S608
           f"WHERE {qn('station_id')} IN ({marks}) UNION ALL "
           f"SELECT {qn('station_id')}, NULL, {qn('date')}, {qn('closed')}, {qn('start')}, {qn('end')} FROM {ex} "
           f"WHERE {qn('station_id')} IN ({marks}) AND {qn('date')} BETWEEN %s AND %s")
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cur:
        cur.execute(sql, [False, *ids, *ids, adapt(first), adapt(last)])
        for sid, w, d, closed, s, e in cur.fetchall():
            if w is not None:
                weekly[sid][w].append((s, e))
            else:
                exceptions[sid][d if isinstance(d, date) else date.fromisoformat(str(d)[:10])] = (
                    [] if closed else [(s, e)])
    return weekly, exceptions


def station_cards(*, ids_distances: list[tuple[int, float]], now: datetime | None = None) -> list[dict]:
    """The rider's view of stations, in the given order: no personal data (a station's phone is public)."""
    local = timezone.localtime(now or timezone.now())
    ids = [sid for sid, _d in ids_distances]
    stations = {s.pk: s for s in Station.objects.filter(pk__in=ids)}
    weekly, exceptions = _week_hours(ids, local.date() - timedelta(days=1), local.date() + timedelta(days=7))
    cards = []
    for sid, dist in ids_distances:
        s = stations[sid]
        wk, ex = weekly.get(sid, {}), exceptions.get(sid, {})
        state = H.status_at(local, wk, ex)
        is_open = state["open"] and s.live_status != LiveStatus.CLOSED
        cards.append({
            "id": s.pk, "name": s.name, "kind": s.kind, "kind_label": str(s.get_kind_display()),
            "host_type": s.host_type, "address": s.address, "phone": s.phone, "lon": s.lon, "lat": s.lat,
            "distance_m": None if dist is None else round(dist), "amenities": amenity_list(s.amenities),
            "live_status": s.live_status, "live_status_label": str(s.get_live_status_display()),
            "status_updated_at": s.status_updated_at, "open_now": is_open,
            "open_until": state["until"] if is_open else None, "next_open": state["next_open"],
            "all_day": is_open and state["until"] is None, "today_hours": _today_text(local, wk, ex),
            "directions_url": directions_url(s), "note": s.note,
        })
    return cards


def stations_nearest(*, jurisdiction: Jurisdiction, lon: float, lat: float, amenities: int = 0, open_now: bool = True,
                     limit: int = 5, now: datetime | None = None) -> list[dict]:
    check_search_point(jurisdiction=jurisdiction, lon=lon, lat=lat)
    found = nearest_ids(jurisdiction=jurisdiction, lon=lon, lat=lat, amenities=amenities, open_now=open_now,
                        limit=limit, now=now)
    return station_cards(ids_distances=found, now=now)


def station_public(*, station: Station, now: datetime | None = None) -> dict:
    """A station's page: its card plus the whole week and the coming exceptions."""
    card = station_cards(ids_distances=[(station.pk, None)], now=now)[0]
    rows = list(OpeningHours.objects.filter(station=station).order_by("weekday", "start"))
    week = [{"weekday": w, "intervals": [H.fmt_interval((r.start, r.end)) for r in rows if r.weekday == w]}
            for w in range(7)]
    today = timezone.localdate(now or timezone.now())
    upcoming = list(HoursException.objects.filter(station=station, date__gte=today, date__lte=today + timedelta(days=60))
                    .order_by("date"))
    card["week"] = week
    card["exceptions"] = [{"id": e.pk, "date": e.date, "closed": e.closed, "note": e.note,
                           "hours": "" if e.closed else H.fmt_interval((e.start, e.end))} for e in upcoming]
    return card


def station_list(*, jurisdiction: Jurisdiction) -> QuerySet[Station]:
    return Station.objects.filter(jurisdiction=jurisdiction).select_related("grid").order_by("name", "id")


def stations_for_host(*, user) -> QuerySet[Station]:
    from wangge.stations.services import is_station_staff

    if user.jurisdiction_id and is_station_staff(user, user.jurisdiction_id):
        return station_list(jurisdiction=user.jurisdiction)
    if user.is_superuser:
        return Station.objects.select_related("grid").order_by("name", "id")
    return Station.objects.filter(hosts__user=user).select_related("grid").order_by("name", "id")


# --- pledges ----------------------------------------------------------------------------------------------

def pledges_active(*, jurisdiction: Jurisdiction, on: date | None = None) -> QuerySet[Pledge]:
    on = on or timezone.localdate()
    return Pledge.objects.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on), jurisdiction=jurisdiction,
                                 valid_from__lte=on)


def pledge_out(p: Pledge, *, staff: bool, unmasked: bool | None = None, distance: float | None = None,
               on: date | None = None) -> dict:
    """`staff` (who may read the street's pledges) see the follow-up; the contact is shown in full only to
    `unmasked` viewers (those who manage the pledges; by default the same as `staff`), masked to everyone else."""
    on = on or timezone.localdate()
    unmasked = staff if unmasked is None else unmasked
    expired = p.valid_until is not None and p.valid_until < on
    return {
        "id": p.pk, "merchant": p.merchant, "kind": p.kind, "kind_label": str(p.get_kind_display()), "text": p.text,
        "valid_from": p.valid_from, "valid_until": p.valid_until, "address": p.address, "lon": p.lon, "lat": p.lat,
        "distance_m": None if distance is None else round(distance), "active": p.valid_from <= on and not expired,
        "expired": expired, "contact_name": p.contact_name if unmasked else mask_name(p.contact_name),
        "contact_phone": p.contact_phone if unmasked else mask_phone(p.contact_phone) if p.contact_phone else "",
        "followed_up_at": p.followed_up_at if staff else None, "follow_up_note": p.follow_up_note if staff else "",
        "station_id": p.station_id, "signed_by_merchant": p.signed_by_merchant,
    }


def pledges_nearby(*, jurisdiction: Jurisdiction, lon: float, lat: float, radius_m: float = 1500, limit: int = 10,
                   staff: bool = False, unmasked: bool | None = None) -> list[dict]:
    check_search_point(jurisdiction=jurisdiction, lon=lon, lat=lat)
    radius_m = max(50.0, min(float(radius_m), 20_000.0)) if math.isfinite(radius_m) else 1500.0
    minx, miny, maxx, maxy = _box(lon, lat, radius_m)
    rows = pledges_active(jurisdiction=jurisdiction).filter(lat__gte=miny, lat__lte=maxy, lon__gte=minx, lon__lte=maxx)
    near = sorted(((distance_m(lon, lat, p.lon, p.lat), p.pk, p) for p in rows), key=lambda t: t[:2])
    return [pledge_out(p, staff=staff, unmasked=unmasked, distance=d) for d, _pk, p in near if d <= radius_m][: max(1, min(limit, MAX_LIMIT))]


def pledges_for_staff(*, jurisdiction: Jurisdiction, unmasked: bool) -> dict:
    """Every pledge of the street for the staff map, and the expired ones still waiting for a follow-up.
    Contacts are in full only when `unmasked` (staff who manage the pledges); readers (leaders) see them masked."""
    today = timezone.localdate()
    pledges = list(Pledge.objects.filter(jurisdiction=jurisdiction).order_by("valid_until", "id"))
    rows = [pledge_out(p, staff=True, unmasked=unmasked, on=today) for p in pledges]
    follow = [r for r, p in zip(rows, pledges, strict=True) if r["expired"]
              and (p.followed_up_at is None or timezone.localtime(p.followed_up_at).date() <= p.valid_until)]
    return {"pledges": rows, "follow_up": follow}


# --- statistics and feedback --------------------------------------------------------------------------------

def checkin_stats(*, jurisdiction: Jurisdiction, station_ids: list[int] | None = None, days: int = 30) -> dict:
    """Check-ins per station and local hour over the last `days` days (anonymous counts)."""
    since = timezone.localdate() - timedelta(days=max(1, min(days, 366)) - 1)
    qs = StationCheckIn.objects.filter(station__jurisdiction=jurisdiction, local_date__gte=since)
    if station_ids is not None:
        qs = qs.filter(station_id__in=station_ids)
    rows = list(qs.values("station_id", "station__name", "local_hour").annotate(n=Count("id"))
                .order_by("station_id", "local_hour"))
    per_station: dict[int, dict] = {}
    for r in rows:
        s = per_station.setdefault(r["station_id"], {"station_id": r["station_id"], "station": r["station__name"],
                                                      "total": 0, "hours": [0] * 24})
        s["hours"][r["local_hour"]] = r["n"]
        s["total"] += r["n"]
    return {"since": since, "days": days, "stations": sorted(per_station.values(), key=lambda s: -s["total"])}


def feedback_for(*, station: Station, unmasked: bool, limit: int = 50) -> list[dict]:
    return [{"id": f.pk, "kind": f.kind, "kind_label": str(f.get_kind_display()), "rating": f.rating, "text": f.text,
             "phone": f.phone if unmasked else mask_phone(f.phone) if f.phone else "", "created_at": f.created_at}
            for f in StationFeedback.objects.filter(station=station).order_by("-created_at", "-id")[:limit]]


def rider_point(*, lon=None, lat=None, crs: str = "wgs84", link: str = "") -> tuple[float, float]:
    """WGS84 (lon, lat) of where the rider is: GPS from the phone's browser (WGS84), or a place shared from
    WeChat / AMap / Tencent / Baidu (a link or a bare pair, GCJ-02 unless the link says otherwise)."""
    from wangge.routing.coords import to_wgs84
    from wangge.routing.links import parse_location_link

    if (lon is None or lon == "") and link:
        lon, lat, crs = parse_location_link(link)
    if lon is None or lat is None or lon == "" or lat == "":
        raise ApplicationError(_("Share your location, or paste a map link or coordinates."), code="invalid_coordinates")
    if crs not in ("wgs84", "gcj02", "bd09"):
        raise ApplicationError(_("Unknown coordinate system %(crs)s: wgs84, gcj02 or bd09.") % {"crs": repr(crs)},
                               code="invalid_coordinates")
    try:
        lon, lat = float(lon), float(lat)
        return to_wgs84(lon, lat, crs) if crs != "wgs84" else (lon, lat)
    except (TypeError, ValueError) as exc:
        raise ApplicationError(_("Longitude and latitude must be numbers in range."), code="invalid_coordinates") from exc
