"""Station pages: the rider's finder and a station's page (public, phone-sized), the printable poster, the
hosts' console and the staff's pledge map with the expired-pledge follow-up list."""

from __future__ import annotations

import secrets
from datetime import date

import segno
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wangge.core.errors import ApplicationError, NotFound
from wangge.core.privacy import mask_phone
from wangge.grids.selectors import jurisdiction_for_user
from wangge.intake.selectors import public_jurisdiction
from wangge.routing.links import parse_location_link
from wangge.stations import hours as H
from wangge.stations import selectors, services
from wangge.stations.models import (
    Amenity,
    FeedbackKind,
    HostType,
    LiveStatus,
    Pledge,
    PledgeKind,
    StationKind,
)


def _weekday_labels() -> list[str]:
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]


def _amenity_choices(selected: int = 0) -> list[dict]:
    return [{"code": code, "label": label, "icon": icon, "checked": bool(selected & bit)}
            for code, bit, label, icon in Amenity.CHOICES]


def _public_jurisdiction(request):
    try:
        return public_jurisdiction(code=request.GET.get("j") or request.POST.get("j"))
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _station(station_id: int, **kw):
    try:
        return services.station_get(station_id=station_id, **kw)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def rider_home(request):
    """骑手之家: one page a rider's QR code or bookmark opens, linking every service for outdoor workers —
    rest stations, the union's one-step join, reporting a problem, the 暖新 services, open surveys, the convention."""
    from wangge.outreach import selectors as outreach
    from wangge.unions import selectors as unions

    jurisdiction = _public_jurisdiction(request)
    context = {"jurisdiction": jurisdiction, "unions": unions.public_unions(jurisdiction=jurisdiction),
               "surveys": outreach.open_surveys(jurisdiction=jurisdiction),
               "convention": outreach.current_convention(jurisdiction=jurisdiction),
               "station_count": selectors.station_list(jurisdiction=jurisdiction).filter(active=True).count()}
    return render(request, "stations/rider_home.html", context)


def finder_page(request):
    """找驿站: the rider shares their location (or pastes a map link), ticks what they need, and gets the
    nearest stations open now with distance, hours and a directions link; merchants' pledges nearby."""
    jurisdiction = _public_jurisdiction(request)
    q = request.GET
    wanted = [c for c in q.getlist("amenity") if c]
    error, status, results, pledges, searched = "", 200, [], [], False
    mask = 0
    if q.get("lon") or q.get("link"):
        searched = True
        try:
            mask = services.amenity_mask(wanted)
            lon, lat = selectors.rider_point(lon=q.get("lon"), lat=q.get("lat"), crs=q.get("crs") or "wgs84",
                                             link=(q.get("link") or "")[:500])
            results = selectors.stations_nearest(jurisdiction=jurisdiction, lon=lon, lat=lat, amenities=mask, limit=5)
            pledges = selectors.pledges_nearby(jurisdiction=jurisdiction, lon=lon, lat=lat, limit=5)
        except ApplicationError as exc:
            error, status = exc.message, exc.status
    context = {"jurisdiction": jurisdiction, "amenities": _amenity_choices(mask), "results": results,
               "pledges": pledges, "error": error, "searched": searched, "boundary": jurisdiction.boundary,
               "link": q.get("link", "")}
    if request.htmx:
        return render(request, "stations/partials/results.html", context, status=status)
    return render(request, "stations/finder.html", context, status=status)


def _detail_context(request, station, **extra) -> dict:
    card = selectors.station_public(station=station)
    labels = _weekday_labels()
    for day in card["week"]:
        day["label"] = labels[day["weekday"]]
    return {"s": card, "station": station, "feedback_kinds": FeedbackKind.choices,
            "checkin": request.GET.get("checkin") == "1", "can_edit": services.can_edit_station(request.user, station),
            "error": "", "notice": "", **extra}


def station_page(request, station_id: int):
    station = _station(station_id)
    notice = _("Thank you: your feedback was sent to the station.") if request.GET.get("sent") == "1" else ""
    return _with_visitor_cookie(request, render(request, "stations/detail.html",
                                                _detail_context(request, station, notice=notice)))


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


@require_POST
def station_feedback(request, station_id: int):
    station = _station(station_id)
    rating = request.POST.get("rating") or None
    try:
        rating = int(rating) if rating is not None else None
    except ValueError:
        rating = -1
    try:
        user = request.user if request.user.is_authenticated else None
        services.feedback_submit(station=station, text=request.POST.get("text", ""),
                                 kind=request.POST.get("kind") or "suggestion", rating=rating,
                                 phone=request.POST.get("phone", ""),
                                 source_key=services.source_key_for(ip=_client_ip(request), user=user))
    except ApplicationError as exc:
        ctx = _detail_context(request, station, error=exc.message, form=request.POST)
        response = render(request, "stations/detail.html", ctx, status=exc.status)
        if exc.status == 429:
            response["Retry-After"] = "600"
        return response
    return redirect(reverse("stations:detail", args=[station.pk]) + "?sent=1")  # a reload does not send it twice


VISITOR_COOKIE = "wg_visitor"


def _with_visitor_cookie(request, response):
    """A random, anonymous per-browser id for check-ins (one phone counts once; riders sharing a carrier's address
    still count apart). It names no one and expires after a day."""
    if not request.COOKIES.get(VISITOR_COOKIE):
        response.set_cookie(VISITOR_COOKIE, secrets.token_hex(16), max_age=86400, httponly=True, samesite="Lax",
                            secure=request.is_secure())
    return response


@require_POST
def station_checkin(request, station_id: int):
    station = _station(station_id)
    try:
        _row, created = services.checkin_record(station=station, ip=_client_ip(request),
                                                token=request.COOKIES.get(VISITOR_COOKIE, ""))
    except ApplicationError as exc:
        return render(request, "stations/detail.html", _detail_context(request, station, error=exc.message),
                      status=exc.status)
    notice = _("Checked in. Welcome!") if created else _("You are already checked in here.")
    return render(request, "stations/detail.html", _detail_context(request, station, notice=notice, checked_in=True))


def station_poster(request, station_id: int):
    """A printable A4 poster: name, hours, amenities and a QR code to the station's page with check-in."""
    station = _station(station_id)
    url = request.build_absolute_uri(reverse("stations:detail", args=[station.pk]) + "?checkin=1")
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(omitsize=True, border=2, dark="#000", light="#fff")
    ctx = _detail_context(request, station)
    ctx.update({"qr_svg": svg, "qr_url": url})
    return render(request, "stations/poster.html", ctx)


# --- hosts' console -----------------------------------------------------------------------------------------

def _console_context(request, **extra) -> dict:
    stations = list(selectors.stations_for_host(user=request.user))
    staff = request.user.is_superuser or services.is_station_staff(request.user, request.user.jurisdiction_id or 0)
    if not stations and not staff:
        raise DjangoPermissionDenied("You host no station.")
    return {"stations": stations, "can_create": staff, "amenities": _amenity_choices(), "kinds": StationKind.choices,
            "host_types": HostType.choices, "error": "", "form": {}, **extra}


@login_required
def host_console(request):
    return render(request, "stations/host_console.html", _console_context(request))


def _place(text: str) -> tuple:
    """A map link, or 'lat,lon' read off our own map (WGS84)."""
    return parse_location_link(text, bare_crs="wgs84")


@login_required
@require_POST
def station_new(request):
    """Staff open a station: name, kind, host, address, place (map link or coordinates), amenities."""
    p = request.POST
    try:
        jurisdiction = jurisdiction_for_user(request.user)
        lon, lat, crs = _place(p.get("where", ""))
        station = services.station_create(
            jurisdiction=jurisdiction, actor=request.user, name=p.get("name", ""), lon=lon, lat=lat, crs=crs,
            kind=p.get("kind") or "warm_new", host_type=p.get("host_type") or "community",
            address=p.get("address", ""), phone=p.get("phone", ""), amenities=p.getlist("amenity"))
    except ApplicationError as exc:
        return render(request, "stations/host_console.html", _console_context(request, error=exc.message, form=p),
                      status=exc.status)
    return redirect("stations:host_station", station_id=station.pk)


def _editable(request, station_id: int):
    station = _station(station_id, active_only=False)
    if not services.can_edit_station(request.user, station):
        raise DjangoPermissionDenied("Only this station's hosts and the street's staff may change it.")
    return station


def _host_context(request, station, **extra) -> dict:
    from wangge.stations.models import OpeningHours

    rows = list(OpeningHours.objects.filter(station=station).order_by("weekday", "start"))
    labels = _weekday_labels()
    week = [{"weekday": w, "label": labels[w],
             "text": ", ".join(f"{H.fmt(r.start)}-{H.fmt(r.end)}" for r in rows if r.weekday == w)} for w in range(7)]
    staff = services.is_station_staff(request.user, station.jurisdiction_id)
    ctx = {"station": station, "s": selectors.station_public(station=station), "week": week,
           "amenities": _amenity_choices(station.amenities), "statuses": LiveStatus.choices,
           "stats": selectors.checkin_stats(jurisdiction=station.jurisdiction, station_ids=[station.pk], days=30),
           "feedback": selectors.feedback_for(station=station, unmasked=staff), "error": "", "notice": ""}
    ctx["hour_counts"] = ctx["stats"]["stations"][0]["hours"] if ctx["stats"]["stations"] else [0] * 24
    ctx["hour_rows"] = list(enumerate(ctx["hour_counts"]))
    ctx["hour_max"] = max(ctx["hour_counts"]) or 1
    ctx.update(extra)
    return ctx


@login_required
def host_station(request, station_id: int):
    station = _editable(request, station_id)
    return render(request, "stations/host_station.html", _host_context(request, station))


@login_required
@require_POST
def host_action(request, station_id: int, verb: str):
    station = _editable(request, station_id)
    p = request.POST
    try:
        if verb == "status":
            services.station_status_set(station=station, actor=request.user, status=p.get("status", ""),
                                        note=p.get("note"))
        elif verb == "amenities":
            services.station_amenities_set(station=station, actor=request.user, amenities=p.getlist("amenity"))
        elif verb == "hours":
            services.station_hours_set(station=station, actor=request.user,
                                       week={w: p.get(f"day{w}", "") for w in range(7)})
        elif verb == "exception":
            try:
                day = date.fromisoformat(p.get("date", ""))
            except ValueError as exc:
                raise ApplicationError(_("The date is not valid: write YYYY-MM-DD."), code="invalid_date") from exc
            services.station_exception_set(station=station, actor=request.user, day=day,
                                           hours="" if p.get("closed") else p.get("hours", ""), note=p.get("note", ""))
        elif verb == "exception-delete":
            raw = p.get("exception", "")
            if not raw.isdigit():
                raise NotFound(_("No such exception."))
            services.station_exception_delete(station=station, actor=request.user, exception_id=int(raw))
        else:
            raise Http404("Unknown action.")
    except ApplicationError as exc:
        station.refresh_from_db()
        ctx = _host_context(request, station, error=exc.message)
        if verb == "hours":  # keep what the host typed so they can correct it
            for day in ctx["week"]:
                day["text"] = p.get(f"day{day['weekday']}", "")
        return render(request, "stations/host_station.html", ctx, status=exc.status)
    return redirect("stations:host_station", station_id=station.pk)


# --- staff: pledges -----------------------------------------------------------------------------------------

def _staff_jurisdiction(request):
    user = request.user
    jurisdiction = jurisdiction_for_user(user)
    if not services.is_station_staff(user, jurisdiction.pk, read=True):
        raise DjangoPermissionDenied("Only operators, administrators, union staff and leaders see the pledges.")
    return jurisdiction


def _pledge_context(request, jurisdiction, **extra) -> dict:
    manager = services.is_station_staff(request.user, jurisdiction.pk)  # leaders only read: contacts masked
    data = selectors.pledges_for_staff(jurisdiction=jurisdiction, unmasked=manager)
    stations = list(selectors.station_list(jurisdiction=jurisdiction).filter(active=True)
                    .values("id", "name", "lon", "lat", "live_status"))
    keys = ("id", "merchant", "kind_label", "text", "lon", "lat", "expired", "active", "valid_until",
            "signed_by_merchant")
    return {"jurisdiction": jurisdiction, "pledges": data["pledges"], "follow_up": data["follow_up"],
            "boundary": jurisdiction.boundary, "kinds": PledgeKind.choices,
            "can_follow_up": manager,
            "map_data": {"pledges": [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in p.items()
                                      if k in keys} for p in data["pledges"]], "stations": stations},
            "error": "", "form": {}, **extra}


@login_required
def pledge_map(request):
    jurisdiction = _staff_jurisdiction(request)
    return render(request, "stations/pledges.html", _pledge_context(request, jurisdiction))


@login_required
@require_POST
def pledge_new(request):
    jurisdiction = _staff_jurisdiction(request)
    p = request.POST
    try:
        lon, lat, crs = _place(p.get("where", ""))
        try:
            valid_from = date.fromisoformat(p.get("valid_from", ""))
            valid_until = date.fromisoformat(p["valid_until"]) if p.get("valid_until") else None
        except ValueError as exc:
            raise ApplicationError(_("The date is not valid: write YYYY-MM-DD."), code="invalid_date") from exc
        services.pledge_create(jurisdiction=jurisdiction, actor=request.user, merchant=p.get("merchant", ""),
                               kind=p.get("kind", ""), text=p.get("text", ""), valid_from=valid_from,
                               valid_until=valid_until, lon=lon, lat=lat, crs=crs, address=p.get("address", ""),
                               contact_name=p.get("contact_name", ""), contact_phone=p.get("contact_phone", ""))
    except ApplicationError as exc:
        return render(request, "stations/pledges.html", _pledge_context(request, jurisdiction, error=exc.message, form=p),
                      status=exc.status)
    return redirect("stations:pledges")


@login_required
@require_POST
def pledge_follow_up(request, pledge_id: int):
    jurisdiction = _staff_jurisdiction(request)
    pledge = Pledge.objects.filter(jurisdiction=jurisdiction, pk=pledge_id).first()
    if pledge is None:
        raise Http404("No such pledge.")
    renew = None
    try:
        if request.POST.get("renew_until"):
            try:
                renew = date.fromisoformat(request.POST["renew_until"])
            except ValueError as exc:
                raise ApplicationError(_("The date is not valid: write YYYY-MM-DD."), code="invalid_date") from exc
        services.pledge_follow_up(pledge=pledge, actor=request.user, note=request.POST.get("note", ""),
                                  renew_until=renew)
    except ApplicationError as exc:
        return render(request, "stations/pledges.html", _pledge_context(request, jurisdiction, error=exc.message),
                      status=exc.status)
    return redirect("stations:pledges")


# --- merchants sign their own pledges (public, phone-sized) -------------------------------------------------

SIGN_FIELDS = ("merchant", "address", "where", "kind", "text", "valid_from", "valid_until", "contact_name",
               "contact_phone", "code")
# Which field an error of the sign service is about (marked aria-invalid next to the message).
SIGN_FIELD_OF_ERROR = {"invalid_merchant": "merchant", "invalid_address": "address", "invalid_kind": "kind",
                       "invalid_text": "text", "invalid_date": "valid_until", "invalid_contact_name": "contact_name",
                       "invalid_phone": "contact_phone", "consent_required": "consent",
                       "outside_jurisdiction": "where", "invalid_coordinates": "where", "invalid_location_link": "where", "invalid_code": "code",
                       "no_code": "code", "code_used": "code", "code_expired": "code", "too_many_attempts": "code",
                       "wrong_code": "code"}
SIGNED_SALT = "wangge.stations.pledge-signed"


def _sign_date(value: str):
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError as exc:
        raise ApplicationError(_("Enter both dates: valid from and valid until (YYYY-MM-DD)."),
                               code="invalid_date") from exc


@never_cache
def pledge_sign_page(request):
    """商户承诺: a merchant signs a pledge (or 门责三包) themselves: shop, place, what and how long, contact
    person and mobile → "send code" → the code and consent → the pledge is recorded, marked merchant-signed."""
    from wangge.unions import services as unions

    jurisdiction = _public_jurisdiction(request)
    p = request.POST
    form = {k: p.get(k, "") for k in SIGN_FIELDS} if request.method == "POST" else {
        "valid_from": timezone.localdate().isoformat(), "kind": ""}
    form["consent"] = bool(p.get("consent"))
    notice, error, error_field, status, retry_after = "", "", "", 200, None
    if request.method == "POST":
        try:
            if p.get("action") == "send":
                conf = services.pledge_sign_code_request(
                    phone=form["contact_phone"], source_key=unions.source_key_for(ip=_client_ip(request)))
                notice = _("A code was sent to %(phone)s. It is valid for %(minutes)s minutes.") % {
                    "phone": mask_phone(conf.phone), "minutes": max(1, unions.code_ttl_seconds() // 60)}
            else:
                if not form["where"].strip():
                    raise ApplicationError(_("Paste a map link or the coordinates of your shop."),
                                           code="invalid_coordinates")
                lon, lat = selectors.rider_point(link=form["where"][:500])
                pledge, created = services.pledge_sign(
                    jurisdiction=jurisdiction, merchant=form["merchant"], address=form["address"], lon=lon, lat=lat,
                    kind=form["kind"], text=form["text"], valid_from=_sign_date(form["valid_from"]),
                    valid_until=_sign_date(form["valid_until"]), contact_name=form["contact_name"],
                    contact_phone=form["contact_phone"], code=form["code"], consent=form["consent"])
                token = signing.dumps({"p": pledge.pk, "new": created}, salt=SIGNED_SALT)
                return redirect("stations:pledge_signed", token=token)  # a reload does not sign twice
        except ApplicationError as exc:
            error, status = exc.message, exc.status
            error_field = SIGN_FIELD_OF_ERROR.get(exc.code, "")
            details = exc.details if isinstance(exc.details, dict) else {}
            retry_after = details.get("retry_after")
    context = {"jurisdiction": jurisdiction, "form": form, "kinds": PledgeKind.choices, "notice": notice,
               "error": error, "error_field": error_field}
    response = render(request, "stations/pledge_sign.html", context, status=status)
    if status == 429 and isinstance(retry_after, int):
        response["Retry-After"] = str(retry_after)
    return response


@never_cache
def pledge_signed(request, token: str):
    """The thank-you page and printable certificate, for whoever holds the signed link from signing; the contact
    is masked here (the street's staff see it in full on the pledge map)."""
    try:
        data = signing.loads(token, salt=SIGNED_SALT, max_age=30 * 86400)
        pledge = Pledge.objects.select_related("jurisdiction").get(pk=int(data["p"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, Pledge.DoesNotExist) as exc:
        raise Http404("No such pledge.") from exc
    p = selectors.pledge_out(pledge, staff=False)
    return render(request, "stations/pledge_signed.html", {"p": p, "pledge": pledge, "created": bool(data.get("new")),
                                                           "jurisdiction": pledge.jurisdiction})
