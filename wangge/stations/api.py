"""Stations over HTTP: the rider's nearest-open query, a station's card, feedback and check-ins (no account);
hosts' live status and hours; pledges nearby (contacts masked) and, for staff, check-in statistics."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from wangge.core.errors import PermissionDenied
from wangge.intake.api import _bearer_user
from wangge.intake.selectors import public_jurisdiction
from wangge.stations import selectors, services
from wangge.stations.models import Amenity

router = Router(tags=["stations"])


class AmenityOut(Schema):
    code: str
    label: str
    icon: str


class StationOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    host_type: str
    address: str
    phone: str
    lon: float
    lat: float
    distance_m: int | None
    amenities: list[AmenityOut]
    live_status: str
    live_status_label: str
    status_updated_at: datetime | None
    open_now: bool
    open_until: datetime | None
    next_open: datetime | None
    all_day: bool
    today_hours: str
    directions_url: str
    note: str
    url: str


class DayOut(Schema):
    weekday: int
    intervals: list[str]


class ExceptionOut(Schema):
    id: int
    date: date
    closed: bool
    hours: str
    note: str


class StationDetailOut(StationOut):
    week: list[DayOut]
    exceptions: list[ExceptionOut]


class PledgeOut(Schema):
    id: int
    merchant: str
    kind: str
    kind_label: str
    text: str
    valid_from: date
    valid_until: date | None
    address: str
    lon: float
    lat: float
    distance_m: int | None
    active: bool
    expired: bool
    contact_name: str
    contact_phone: str
    signed_by_merchant: bool = Field(False, description="signed by the merchant on the public sign page "
                                                        "(phone confirmed by SMS), not recorded by staff")


class NearestOut(Schema):
    lon: float = Field(..., description="the rider's place in WGS84")
    lat: float
    stations: list[StationOut]
    pledges: list[PledgeOut]


class FeedbackIn(Schema):
    text: str = Field(..., min_length=1, max_length=1000)
    kind: str = Field("suggestion", description="praise / suggestion / problem")
    rating: int | None = Field(None, ge=1, le=5)
    phone: str = Field("", max_length=32, description="optional, for a reply; only staff see it unmasked")


class FeedbackOut(Schema):
    id: int
    station_id: int
    created_at: datetime


class CheckInOut(Schema):
    station_id: int
    counted: bool = Field(..., description="false: the same visitor checked in here less than 30 minutes ago")
    at: datetime


class StatusIn(Schema):
    status: str = Field(..., description="open / full / closed")
    note: str | None = Field(None, max_length=300)


class HoursIn(Schema):
    week: dict[int, str] = Field(..., description='{0: "08:00-20:00", …, 6: "closed"}; 0 = Monday; 22:00-06:00 runs '
                                                  "past midnight; 00:00-24:00 is all day")


class StationIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    kind: str = Field("warm_new", description="warm_new (暖新驿站) / love_relay (爱心接力站) / other")
    host_type: str = Field("community", description="community / merchant / building / union / other")
    address: str = Field("", max_length=200)
    phone: str = Field("", max_length=32, description="the station's public number")
    amenities: list[str] = Field(default_factory=list, description="codes from GET /stations/amenities")
    lon: float | None = None
    lat: float | None = None
    crs: str = Field("wgs84", pattern="^(wgs84|gcj02|bd09)$")
    location_link: str = Field("", max_length=500, description="a map link or 'lat,lon' (WGS84) instead of lon/lat")
    week: dict[int, str] = Field(default_factory=dict, description='weekly hours, as for PUT /stations/{id}/hours')


class PledgeIn(Schema):
    merchant: str = Field(..., min_length=1, max_length=100)
    kind: str = Field(..., description="meal_hours / love_lunch / free_haircut / free_water / restroom / charging / "
                                       "frontage (门责三包) / other")
    text: str = Field(..., min_length=1, max_length=500)
    valid_from: date
    valid_until: date | None = None
    address: str = Field("", max_length=200)
    lon: float | None = None
    lat: float | None = None
    crs: str = Field("wgs84", pattern="^(wgs84|gcj02|bd09)$")
    location_link: str = Field("", max_length=500)
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=32)
    station_id: int | None = None


class StatsStationOut(Schema):
    station_id: int
    station: str
    total: int
    hours: list[int] = Field(..., description="check-ins per local hour 0–23")


class StatsOut(Schema):
    since: date
    days: int
    stations: list[StatsStationOut]


def _with_url(card: dict, request: HttpRequest) -> dict:
    card["url"] = request.build_absolute_uri(f"/stations/{card['id']}/")
    return card


def _viewer(request):
    user = getattr(request, "user", None)
    try:
        return _bearer_user(request) or user
    except PermissionDenied:
        return None


@router.get("/stations/amenities", auth=None, response=list[AmenityOut], summary="The amenities a station can offer")
def amenities(request):
    return [{"code": code, "label": str(label), "icon": icon} for code, _bit, label, icon in Amenity.CHOICES]


@router.get("/stations/nearest", auth=None, response=NearestOut,
            summary="Nearest stations open now with the amenities asked for (riders; no account), and merchant "
                    "pledges nearby")
def stations_nearest(request, lon: float | None = None, lat: float | None = None, crs: str = "wgs84",
                     link: str = "", amenities: str = "", open_now: bool = True, limit: int = 5,
                     jurisdiction: str | None = None):
    j = public_jurisdiction(code=jurisdiction)
    mask = services.amenity_mask(amenities)
    wlon, wlat = selectors.rider_point(lon=lon, lat=lat, crs=crs, link=link[:500])
    cards = selectors.stations_nearest(jurisdiction=j, lon=wlon, lat=wlat, amenities=mask, open_now=open_now, limit=limit)
    pledges = selectors.pledges_nearby(jurisdiction=j, lon=wlon, lat=wlat, limit=5)
    return {"lon": wlon, "lat": wlat, "stations": [_with_url(c, request) for c in cards], "pledges": pledges}


@router.get("/stations/pledges/nearby", auth=None, response=list[PledgeOut],
            summary="Merchants' active pledges near a place (contacts masked unless you are staff of the street)")
def pledges_nearby(request, lon: float | None = None, lat: float | None = None, crs: str = "wgs84", link: str = "",
                   radius_m: float = 1500, limit: int = 10, jurisdiction: str | None = None):
    j = public_jurisdiction(code=jurisdiction)
    wlon, wlat = selectors.rider_point(lon=lon, lat=lat, crs=crs, link=link[:500])
    user = _viewer(request)  # readers (leaders) see the follow-up; only the pledges' managers see contacts in full
    return selectors.pledges_nearby(jurisdiction=j, lon=wlon, lat=wlat, radius_m=radius_m, limit=limit,
                                    staff=services.is_station_staff(user, j.pk, read=True),
                                    unmasked=services.is_station_staff(user, j.pk))


def _staff_jurisdiction(request):
    from wangge.grids.selectors import jurisdiction_for_user

    j = jurisdiction_for_user(request.user)
    if not services.is_station_staff(request.user, j.pk):
        raise PermissionDenied(_("Only operators, administrators and union staff of this street may do this."))
    return j


def _where(payload) -> tuple:
    from wangge.routing.links import parse_location_link

    if payload.lon is None and payload.location_link:
        return parse_location_link(payload.location_link, bare_crs="wgs84")
    return payload.lon, payload.lat, payload.crs


@router.post("/stations", response={201: StationDetailOut},
             summary="Open a station (operators, administrators, union staff): located in its grid, hours validated")
def station_create(request, payload: StationIn):
    from django.db import transaction

    j = _staff_jurisdiction(request)
    lon, lat, crs = _where(payload)
    with transaction.atomic():  # the station and its hours, or nothing
        station = services.station_create(jurisdiction=j, actor=request.user, name=payload.name, lon=lon, lat=lat,
                                          crs=crs, kind=payload.kind, host_type=payload.host_type,
                                          address=payload.address, phone=payload.phone, amenities=payload.amenities)
        if payload.week:
            services.station_hours_set(station=station, actor=request.user, week=payload.week)
    return Status(201, _with_url(selectors.station_public(station=station), request))


@router.post("/stations/pledges", response={201: PledgeOut},
             summary="Record a merchant's pledge or 门责三包 commitment (operators, administrators, union staff)")
def pledge_create(request, payload: PledgeIn):
    j = _staff_jurisdiction(request)
    lon, lat, crs = _where(payload)
    station = services.station_get(station_id=payload.station_id, jurisdiction=j) if payload.station_id else None
    pledge = services.pledge_create(
        jurisdiction=j, actor=request.user, merchant=payload.merchant, kind=payload.kind, text=payload.text,
        valid_from=payload.valid_from, valid_until=payload.valid_until, lon=lon, lat=lat, crs=crs,
        address=payload.address, contact_name=payload.contact_name, contact_phone=payload.contact_phone,
        station=station)
    return Status(201, selectors.pledge_out(pledge, staff=True))


@router.get("/stations/stats", response=StatsOut, summary="Anonymous check-ins per station and local hour (staff)")
def stations_stats(request, days: int = 30, station: int | None = None):
    user = request.user
    if user.jurisdiction_id is None and not user.is_superuser:
        raise PermissionDenied(_("Your account is not attached to a street."))
    from wangge.grids.selectors import jurisdiction_for_user

    j = jurisdiction_for_user(user)
    if services.is_station_staff(user, j.pk, read=True):
        ids = [station] if station else None
    else:
        ids = list(selectors.stations_for_host(user=user).values_list("pk", flat=True))
        if not ids:
            raise PermissionDenied(_("Only staff of the street and station hosts see statistics."))
        if station:
            if station not in ids:
                raise PermissionDenied(_("You do not host that station."))
            ids = [station]
    return selectors.checkin_stats(jurisdiction=j, station_ids=ids, days=days)


@router.get("/stations/{station_id}", auth=None, response=StationDetailOut,
            summary="A station: hours, exceptions, amenities, live status, directions")
def station_detail(request, station_id: int):
    station = services.station_get(station_id=station_id)
    return _with_url(selectors.station_public(station=station), request)


@router.post("/stations/{station_id}/feedback", auth=None, response={201: FeedbackOut},
             summary="Leave feedback on a station (no account; throttled per source: 429 beyond the limit)")
def station_feedback(request, station_id: int, payload: FeedbackIn):
    station = services.station_get(station_id=station_id)
    user = _bearer_user(request)
    fb = services.feedback_submit(station=station, text=payload.text, kind=payload.kind, rating=payload.rating,
                                  phone=payload.phone,
                                  source_key=services.source_key_for(ip=request.META.get("REMOTE_ADDR", ""), user=user))
    return Status(201, {"id": fb.pk, "station_id": station.pk, "created_at": fb.created_at})


@router.post("/stations/{station_id}/checkins", auth=None, response={200: CheckInOut, 201: CheckInOut},
             summary="Anonymous check-in at a station (usage statistics; nothing about the visitor is kept). `visitor`: "
                     "an app's random per-device id, so that one device counts once per half hour")
def station_checkin(request, station_id: int, visitor: str = ""):
    station = services.station_get(station_id=station_id)
    row, created = services.checkin_record(station=station, ip=request.META.get("REMOTE_ADDR", ""),
                                           token=visitor or request.COOKIES.get("wg_visitor", ""))
    return Status(201 if created else 200, {"station_id": station.pk, "counted": created, "at": row.at})


@router.post("/stations/{station_id}/actions/set-status", response=StationOut,
             summary="Live status of a station: open / full / closed (its hosts, the street's staff)")
def station_set_status(request, station_id: int, payload: StatusIn):
    station = services.station_get(station_id=station_id, active_only=False)
    services.station_status_set(station=station, actor=request.user, status=payload.status, note=payload.note)
    return _with_url(selectors.station_cards(ids_distances=[(station.pk, None)])[0], request)


@router.put("/stations/{station_id}/hours", response=StationDetailOut,
            summary="Replace a station's weekly hours (its hosts, the street's staff); malformed or overlapping "
                    "hours are refused whole")
def station_set_hours(request, station_id: int, payload: HoursIn):
    station = services.station_get(station_id=station_id, active_only=False)
    services.station_hours_set(station=station, actor=request.user, week=payload.week)
    return _with_url(selectors.station_public(station=station), request)
