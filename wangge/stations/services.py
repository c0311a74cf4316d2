"""Writes of the stations app: stations, their hours and live status, feedback, check-ins, merchant pledges.

Every write is a keyword-only atomic service. Who may write: a station host edits only the stations they host
(StationHost); operators, administrators and union staff of the station's street edit all of its stations
and pledges. Bad input raises an ApplicationError subclass with a precise message and changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import Role
from wangge.core.errors import ApplicationError, NotFound, PermissionDenied, Throttled
from wangge.core.models import Jurisdiction
from wangge.core.phones import contact_phone_normalize
from wangge.core.throttle import rate_setting, source_key_hash
from wangge.stations import hours as H
from wangge.stations.models import (
    Amenity,
    FeedbackKind,
    HostType,
    HoursException,
    LiveStatus,
    OpeningHours,
    Pledge,
    PledgeKind,
    Station,
    StationCheckIn,
    StationFeedback,
    StationHost,
    StationKind,
)

# Roles that run every station and pledge of their street.
STATION_STAFF_ROLES = (Role.ADMIN, Role.OPERATOR, Role.UNION_STAFF)
# Roles that may read the pledge map and station statistics of their street (the leader reads, does not edit).
STATION_READ_ROLES = (*STATION_STAFF_ROLES, Role.LEADER)


# --- permissions ------------------------------------------------------------------------------------------

def is_station_staff(user, jurisdiction_id: int, *, read: bool = False) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    roles = STATION_READ_ROLES if read else STATION_STAFF_ROLES
    return user.role in roles and user.jurisdiction_id == jurisdiction_id


def can_edit_station(user, station: Station) -> bool:
    if is_station_staff(user, station.jurisdiction_id):
        return True
    return bool(getattr(user, "is_authenticated", False)
                and StationHost.objects.filter(station=station, user=user).exists())


def _require_edit(actor, station: Station) -> None:
    """`actor=None` is the system itself (demo data, commands); views and the API always pass the request's user."""
    if actor is not None and not can_edit_station(actor, station):
        raise PermissionDenied(_("Only this station's hosts and the street's staff may change it."))


def _require_staff(actor, jurisdiction: Jurisdiction) -> None:
    if actor is not None and not is_station_staff(actor, jurisdiction.pk):
        raise PermissionDenied(_("Only operators, administrators and union staff of this street may do this."))


# --- input checks -----------------------------------------------------------------------------------------

def amenity_mask(codes: Iterable[str] | str | None) -> int:
    """Bitmask from amenity codes ("water,toilet" or a list); an unknown code is refused by name."""
    if codes is None:
        return 0
    if isinstance(codes, str):
        codes = [c for c in codes.replace("，", ",").split(",")]
    mask = 0
    unknown = []
    for code in codes:
        code = code.strip().lower()
        if not code:
            continue
        if code not in Amenity.BITS:
            unknown.append(code)
        else:
            mask |= Amenity.BITS[code]
    if unknown:
        raise ApplicationError(_("Unknown amenity %(unknown)s; known: %(known)s.")
                               % {"unknown": ", ".join(repr(u) for u in unknown), "known": ", ".join(Amenity.BITS)},
                               code="unknown_amenity", details={"unknown": unknown, "known": list(Amenity.BITS)})
    return mask


def _choice_message(what: str) -> str:
    return {
        "kind": _("Unknown kind %(value)s; one of: %(choices)s."),
        "host_type": _("Unknown host_type %(value)s; one of: %(choices)s."),
        "status": _("Unknown status %(value)s; one of: %(choices)s."),
    }[what]


def _choice(value: str, choices, what: str) -> str:
    """`what`: kind, host_type or status (the field's name in the API, and the error code's suffix)."""
    if value not in choices.values:
        raise ApplicationError(_choice_message(what) % {"value": repr(value), "choices": ", ".join(choices.values)},
                               code=f"invalid_{what}")
    return value


def location_inside(*, jurisdiction: Jurisdiction, lon, lat, crs: str = "wgs84") -> dict:
    """WGS84 (lon, lat) and grid of a place that must lie inside the street; anything else is a clear 422."""
    from wangge.routing.services import locate_point

    if lon is None or lat is None:
        raise ApplicationError(_("A location (lon, lat) is required."), code="invalid_coordinates")
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError) as exc:
        raise ApplicationError(_("Longitude and latitude must be numbers."), code="invalid_coordinates") from exc
    if crs not in ("wgs84", "gcj02", "bd09"):
        raise ApplicationError(_("Unknown coordinate system %(crs)s: wgs84, gcj02 or bd09.") % {"crs": repr(crs)},
                               code="invalid_coordinates")
    located = locate_point(jurisdiction=jurisdiction, lon=lon, lat=lat, crs=crs)
    if not located["inside_jurisdiction"]:
        raise ApplicationError(_("(%(lon)s, %(lat)s) is outside %(street)s.")
                               % {"lon": lon, "lat": lat, "street": jurisdiction.name}, code="outside_jurisdiction")
    return {"lon": located["wgs84"]["lon"], "lat": located["wgs84"]["lat"],
            "grid_id": located["grid"]["id"] if located["grid"] else None}


def _text_messages(what: str) -> tuple[str, str]:
    """(required, too long) for each text field `_text` checks, in the reader's language."""
    return {
        "name": (_("The name is required."), _("The name is longer than %(limit)s characters.")),
        "address": (_("The address is required."), _("The address is longer than %(limit)s characters.")),
        "note": (_("The note is required."), _("The note is longer than %(limit)s characters.")),
        "text": (_("The text is required."), _("The text is longer than %(limit)s characters.")),
        "merchant": (_("The merchant is required."), _("The merchant is longer than %(limit)s characters.")),
        "contact name": (_("The contact name is required."),
                         _("The contact name is longer than %(limit)s characters.")),
    }[what]


def _text(value: str, limit: int, what: str, *, required: bool = False) -> str:
    """`what`: name, address, note, text, merchant or contact name (also the error code: invalid_contact_name)."""
    value = (value or "").strip()
    if required and not value:
        raise ApplicationError(_text_messages(what)[0], code=f"invalid_{what.replace(' ', '_')}")
    if len(value) > limit:
        raise ApplicationError(_text_messages(what)[1] % {"limit": limit}, code=f"invalid_{what.replace(' ', '_')}")
    return value


def _phone(value: str) -> str:
    """A mobile or a fixed line (core.phones' check, 422 invalid_phone otherwise), kept as written without spaces:
    a station's 021-62761234 is shown to riders as its host wrote it."""
    value = "".join((value or "").split())
    contact_phone_normalize(value)
    return value


def _hours_error(exc: H.HoursError) -> ApplicationError:
    return ApplicationError(str(exc), code="invalid_hours")


# --- stations ---------------------------------------------------------------------------------------------

@transaction.atomic
def station_create(*, jurisdiction: Jurisdiction, actor, name: str, lon, lat, crs: str = "wgs84",
                   kind: str = StationKind.WARM_NEW, host_type: str = HostType.COMMUNITY, address: str = "",
                   phone: str = "", amenities: Iterable[str] = (), note: str = "") -> Station:
    _require_staff(actor, jurisdiction)
    where = location_inside(jurisdiction=jurisdiction, lon=lon, lat=lat, crs=crs)
    station = Station(
        jurisdiction=jurisdiction, name=_text(name, 100, "name", required=True),
        kind=_choice(kind, StationKind, "kind"), host_type=_choice(host_type, HostType, "host_type"),
        address=_text(address, 200, "address"), phone=_phone(phone), lon=where["lon"], lat=where["lat"],
        grid_id=where["grid_id"], amenities=amenity_mask(amenities), note=_text(note, 300, "note"),
        status_updated_at=timezone.now(),
    )
    station.save()
    return station


def station_get(*, station_id: int, jurisdiction: Jurisdiction | None = None, active_only: bool = True) -> Station:
    qs = Station.objects.filter(pk=station_id)
    if jurisdiction is not None:
        qs = qs.filter(jurisdiction=jurisdiction)
    if active_only:
        qs = qs.filter(active=True)
    station = qs.select_related("jurisdiction").first()
    if station is None:
        raise NotFound(_("Station %(id)s not found.") % {"id": station_id})
    return station


@transaction.atomic
def station_status_set(*, station: Station, actor, status: str, note: str | None = None) -> Station:
    """Live status (open as usual / full / closed right now), set by a host from the console or the API."""
    _require_edit(actor, station)
    status = _choice(status, LiveStatus, "status")
    fields = {"live_status": status, "status_updated_at": timezone.now(), "updated_at": timezone.now()}
    if note is not None:
        fields["note"] = _text(note, 300, "note")
    Station.objects.filter(pk=station.pk).update(**fields)
    station.refresh_from_db()
    return station


@transaction.atomic
def station_amenities_set(*, station: Station, actor, amenities: Iterable[str]) -> Station:
    _require_edit(actor, station)
    mask = amenity_mask(list(amenities))
    Station.objects.filter(pk=station.pk).update(amenities=mask, updated_at=timezone.now())
    station.refresh_from_db()
    return station


@transaction.atomic
def station_hours_set(*, station: Station, actor, week: dict[int, str] | list[tuple[int, int, int]]) -> list[OpeningHours]:
    """Replace the weekly schedule. `week`: {weekday: "08:00-12:00, 13:00-22:00"} (text, as hosts type it) or
    (weekday, start, end) minute rows. Malformed times, equal open and close, and overlaps (also across
    midnight) are refused and the old schedule stays."""
    _require_edit(actor, station)
    try:
        if isinstance(week, dict):
            rows = []
            for weekday, text in week.items():
                w = int(weekday)
                if not 0 <= w <= 6:
                    raise H.HoursError(_("Weekday %(weekday)s does not exist (0 = Monday … 6 = Sunday).")
                                       % {"weekday": weekday})
                try:
                    rows.extend((w, s, e) for s, e in H.parse_day(text))
                except H.HoursError as exc:
                    raise H.HoursError(_("%(day)s: %(error)s") % {"day": H.weekday_name(w), "error": exc}) from exc
        else:
            rows = [(int(w), int(s), int(e)) for w, s, e in week]
        rows = H.validate_week(rows)
    except (TypeError, ValueError) as exc:
        raise _hours_error(exc if isinstance(exc, H.HoursError)
                           else H.HoursError(_("Malformed hours: %(error)s") % {"error": exc})) from exc
    Station.objects.select_for_update().filter(pk=station.pk).first()  # one edit of a schedule at a time
    OpeningHours.objects.filter(station=station).delete()
    made = OpeningHours.objects.bulk_create(OpeningHours(station=station, weekday=w, start=s, end=e) for w, s, e in rows)
    Station.objects.filter(pk=station.pk).update(updated_at=timezone.now())
    return made


@transaction.atomic
def station_exception_set(*, station: Station, actor, day: date, hours: str = "", note: str = "") -> HoursException:
    """A dated exception: `hours` empty = closed all day (holiday closure), else one range like '10:00-16:00'."""
    _require_edit(actor, station)
    if not isinstance(day, date):
        raise ApplicationError(_("The date is not valid: write YYYY-MM-DD."), code="invalid_date")
    today = timezone.localdate()
    if day < today - timedelta(days=1):
        raise ApplicationError(_("The date has passed; exceptions are for today or later."), code="invalid_date")
    try:
        intervals = H.validate_day(H.parse_day(hours))
    except H.HoursError as exc:
        raise _hours_error(exc) from exc
    if len(intervals) > 1:
        raise ApplicationError(_("An exception has one opening range (or none: closed all day)."), code="invalid_hours")
    start, end = intervals[0] if intervals else (None, None)
    exc_row, _created = HoursException.objects.update_or_create(
        station=station, date=day,
        defaults={"closed": not intervals, "start": start, "end": end, "note": _text(note, 100, "note")})
    return exc_row


@transaction.atomic
def station_exception_delete(*, station: Station, actor, exception_id: int) -> None:
    _require_edit(actor, station)
    deleted, _by_model = HoursException.objects.filter(station=station, pk=exception_id).delete()
    if not deleted:
        raise NotFound(_("Exception %(id)s not found.") % {"id": exception_id})


@transaction.atomic
def station_host_add(*, station: Station, actor, user) -> StationHost:
    _require_staff(actor, station.jurisdiction)
    if user.jurisdiction_id != station.jurisdiction_id:
        raise ApplicationError(_("The host must belong to the station's street."), code="invalid_host")
    host, _created = StationHost.objects.get_or_create(station=station, user=user)
    return host


# --- riders: feedback and check-ins -----------------------------------------------------------------------

def source_key_for(*, ip: str = "", user=None) -> str:
    return source_key_hash(scope="stations", ip=ip, user=user)


@transaction.atomic
def feedback_submit(*, station: Station, text: str, kind: str = FeedbackKind.SUGGESTION, rating: int | None = None,
                    phone: str = "", source_key: str = "") -> StationFeedback:
    """A rider's word about a station. At most WANGGE_STATION_FEEDBACK_RATE (default 5 per 10 minutes) from one
    source; beyond that 429 and nothing is written."""
    text = _text(text, 1000, "text", required=True)
    kind = _choice(kind, FeedbackKind, "kind")
    if rating is not None and (not isinstance(rating, int) or not 1 <= rating <= 5):
        raise ApplicationError(_("The rating is a whole number from 1 to 5."), code="invalid_rating")
    phone = _phone(phone)
    if source_key:
        limit, seconds = rate_setting("WANGGE_STATION_FEEDBACK_RATE", "5/600")
        recent = StationFeedback.objects.filter(source_key=source_key,
                                                created_at__gte=timezone.now() - timedelta(seconds=seconds)).count()
        if recent >= limit:
            raise Throttled(_("Too much feedback from one source: at most %(limit)s in %(minutes)s minutes. Try again later.")
                            % {"limit": limit, "minutes": max(1, seconds // 60)},
                            details={"limit": limit, "window_seconds": seconds})
    return StationFeedback.objects.create(station=station, kind=kind, rating=rating, text=text, phone=phone,
                                          source_key=source_key)


def _visitor(source: str, day: date) -> str:
    """A per-day hash: the same phone counts once per station and half hour, and cannot be followed across days."""
    return hashlib.sha256(f"{settings.SECRET_KEY}|checkin|{day.isoformat()}|{source}".encode()).hexdigest()[:32]


@transaction.atomic
def checkin_record(*, station: Station, ip: str = "", token: str = "") -> tuple[StationCheckIn, bool]:
    """An anonymous visit. `token` is the browser's random visitor cookie (or an app's opaque id); without one the
    address stands in (riders behind one carrier NAT then count as one). A repeat from the same visitor at the
    same station within 30 minutes is the same visit (returned, created False); more than
    WANGGE_STATION_CHECKIN_RATE (default 30 an hour) from one visitor is a flood (429)."""
    now = timezone.now()
    local = timezone.localtime(now)
    token = (token or "").strip()[:64]
    source = f"t:{token}" if token else f"ip:{ip}" if ip else ""
    visitor = _visitor(source, local.date()) if source else ""
    if visitor:
        same = (StationCheckIn.objects.filter(station=station, visitor=visitor, at__gte=now - timedelta(minutes=30))
                .order_by("-at").first())
        if same is not None:
            return same, False
        limit, seconds = rate_setting("WANGGE_STATION_CHECKIN_RATE", "30/3600")
        if StationCheckIn.objects.filter(visitor=visitor, at__gte=now - timedelta(seconds=seconds)).count() >= limit:
            raise Throttled(_("Too many check-ins from one source. Try again later."),
                            details={"limit": limit, "window_seconds": seconds})
    row = StationCheckIn.objects.create(station=station, at=now, local_date=local.date(), local_hour=local.hour,
                                        visitor=visitor)
    return row, True


# --- merchant pledges -------------------------------------------------------------------------------------

@transaction.atomic
def pledge_create(*, jurisdiction: Jurisdiction, actor, merchant: str, kind: str, text: str, valid_from: date,
                  valid_until: date | None, lon, lat, crs: str = "wgs84", address: str = "", contact_name: str = "",
                  contact_phone: str = "", station: Station | None = None) -> Pledge:
    _require_staff(actor, jurisdiction)
    if not isinstance(valid_from, date) or (valid_until is not None and not isinstance(valid_until, date)):
        raise ApplicationError(_("Validity dates must be dates (YYYY-MM-DD)."), code="invalid_date")
    if valid_until is not None and valid_until < valid_from:
        raise ApplicationError(_("The pledge ends before it starts."), code="invalid_date")
    if station is not None and station.jurisdiction_id != jurisdiction.pk:
        raise ApplicationError(_("The station belongs to another street."), code="invalid_station")
    where = location_inside(jurisdiction=jurisdiction, lon=lon, lat=lat, crs=crs)
    return Pledge.objects.create(
        jurisdiction=jurisdiction, merchant=_text(merchant, 100, "merchant", required=True),
        kind=_choice(kind, PledgeKind, "kind"), text=_text(text, 500, "text", required=True), valid_from=valid_from,
        valid_until=valid_until, address=_text(address, 200, "address"), lon=where["lon"], lat=where["lat"],
        grid_id=where["grid_id"], contact_name=_text(contact_name, 50, "contact name"), contact_phone=_phone(contact_phone),
        station=station, created_by=actor if getattr(actor, "pk", None) else None,
    )


@transaction.atomic
def pledge_follow_up(*, pledge: Pledge, actor, note: str, renew_until: date | None = None) -> Pledge:
    """Staff followed up an expired (or expiring) pledge: a note, and a new end date when the merchant renews."""
    _require_staff(actor, pledge.jurisdiction)
    note = _text(note, 300, "note", required=True)
    fields = {"followed_up_at": timezone.now(), "followed_up_by": actor if getattr(actor, "pk", None) else None,
              "follow_up_note": note}
    if renew_until is not None:
        if renew_until < timezone.localdate():
            raise ApplicationError(_("A renewal must end today or later."), code="invalid_date")
        fields["valid_until"] = renew_until
    Pledge.objects.filter(pk=pledge.pk).update(**fields)
    pledge.refresh_from_db()
    return pledge


# --- merchants sign their own pledges ----------------------------------------------------------------------

PLEDGE_SIGN_PURPOSE = "pledge"
PLEDGE_SIGN_MAX_DAYS = 3 * 366  # a merchant signs for at most about three years
PLEDGE_SIGN_BACKDATE_DAYS = 30  # a pledge may start at most a month in the past


def pledge_sign_code_request(*, phone: str, source_key: str = ""):
    """Send the merchant's contact phone a one-time code for signing (the unions app's SMS confirmation;
    malformed numbers 422, too many codes 429)."""
    from wangge.unions.services import phone_confirmation_start

    return phone_confirmation_start(phone=phone, purpose=PLEDGE_SIGN_PURPOSE, source_key=source_key,
                                    label=_("merchant pledge"))


def pledge_sign(*, jurisdiction: Jurisdiction, merchant: str, address: str, lon, lat, crs: str = "wgs84", kind: str,
                text: str, valid_from: date, valid_until: date, contact_name: str, contact_phone: str, code: str,
                consent: bool) -> tuple[Pledge, bool]:
    """A merchant signs a pledge on the public page. Every field is checked first (bad input: 422, nothing
    written, the code not spent); then the SMS code is spent (its wrong tries are counted in their own
    transaction); then the pledge is recorded atomically. Returns (pledge, created): the same phone, merchant
    and kind with an overlapping validity period returns the existing pledge and writes no second row."""
    from wangge.unions.services import phone_confirmation_check, phone_normalize

    merchant = _text(merchant, 100, "merchant")
    if not merchant:
        raise ApplicationError(_("Enter the merchant's name."), code="invalid_merchant")
    address = _text(address, 200, "address")
    if not address:
        raise ApplicationError(_("Enter the shop's address."), code="invalid_address")
    if kind not in PledgeKind.values:
        raise ApplicationError(_("Choose what kind of pledge this is."), code="invalid_kind")
    text = _text(text, 500, "text")
    if not text:
        raise ApplicationError(_("Write what exactly you promise."), code="invalid_text")
    if not isinstance(valid_from, date) or not isinstance(valid_until, date):
        raise ApplicationError(_("Enter both dates: valid from and valid until (YYYY-MM-DD)."), code="invalid_date")
    today = timezone.localdate()
    if valid_from < today - timedelta(days=PLEDGE_SIGN_BACKDATE_DAYS):
        raise ApplicationError(_("The pledge may start at most 30 days ago."), code="invalid_date")
    if valid_until < valid_from:
        raise ApplicationError(_("“Valid until” is before “valid from”."), code="invalid_date")
    if (valid_until - valid_from).days > PLEDGE_SIGN_MAX_DAYS:
        raise ApplicationError(_("A pledge is valid for at most 3 years."), code="invalid_date")
    contact_name = _text(contact_name, 50, "contact name")
    if not contact_name:
        raise ApplicationError(_("Enter the contact person's name."), code="invalid_contact_name")
    phone = phone_normalize(contact_phone)
    if not consent:
        raise ApplicationError(_("Please agree that the street office keeps these details for the pledge."),
                               code="consent_required")
    try:
        where = location_inside(jurisdiction=jurisdiction, lon=lon, lat=lat, crs=crs)
    except ApplicationError as exc:
        if exc.code == "outside_jurisdiction":
            raise ApplicationError(_("This place is outside %(street)s: only shops of this street can sign here.")
                                   % {"street": jurisdiction.name}, code="outside_jurisdiction") from exc
        raise
    # Everything else is valid: only now is the code spent (a typo elsewhere does not burn it).
    confirmation = phone_confirmation_check(phone=phone, purpose=PLEDGE_SIGN_PURPOSE, code=code)
    return _pledge_sign_record(
        jurisdiction=jurisdiction, merchant=merchant, address=address, where=where, kind=kind, text=text,
        valid_from=valid_from, valid_until=valid_until, contact_name=contact_name, phone=phone,
        confirmed_at=confirmation.used_at or timezone.now())


@transaction.atomic
def _pledge_sign_record(*, jurisdiction: Jurisdiction, merchant: str, address: str, where: dict, kind: str, text: str,
                        valid_from: date, valid_until: date, contact_name: str, phone: str,
                        confirmed_at) -> tuple[Pledge, bool]:
    # One signing per street at a time, so two taps on "sign" cannot both miss the duplicate check.
    Jurisdiction.objects.select_for_update().filter(pk=jurisdiction.pk).first()
    existing = (Pledge.objects.filter(jurisdiction=jurisdiction, contact_phone=phone, merchant=merchant, kind=kind,
                                      valid_from__lte=valid_until)
                .filter(_valid_on_or_after(valid_from)).order_by("id").first())
    if existing is not None:
        return existing, False
    pledge = Pledge.objects.create(
        jurisdiction=jurisdiction, merchant=merchant, kind=kind, text=text, valid_from=valid_from,
        valid_until=valid_until, address=address, lon=where["lon"], lat=where["lat"], grid_id=where["grid_id"],
        contact_name=contact_name, contact_phone=phone, signed_by_merchant=True, phone_confirmed_at=confirmed_at)
    return pledge, True


def _valid_on_or_after(day: date):
    """Pledges still valid on or after `day` (an open end counts as valid)."""
    from django.db.models import Q

    return Q(valid_until__isnull=True) | Q(valid_until__gte=day)
