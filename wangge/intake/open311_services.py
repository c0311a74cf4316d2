"""Open311 GeoReport v2 over intake: the services a street offers (its active minor categories), requests
received through `intake.services.report_submit`, and cases as the public may read them.

No HTTP here: `intake.open311` parses the request and renders JSON or XML; this module decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import Max, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import ApiToken, User
from wangge.accounts.services import api_token_authenticate
from wangge.cases.models import Attachment, AttachmentKind, Case, CaseEvent, Category, Channel
from wangge.cases.workflow import State
from wangge.core.errors import ApplicationError, NotFound, PermissionDenied
from wangge.core.models import Jurisdiction
from wangge.core.privacy import mask_name
from wangge.intake import services as intake
from wangge.intake.models import Report, ReportStatus, TriageReason

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# GET requests answers at most this many requests (newest first) and spans at most this many days.
MAX_REQUESTS = 1000
MAX_DAYS = 90
# media_url is never fetched: kept as the report's reference (Report.media_url), and as one line at the end of
# the description, so that the staff see it on the case.
MEDIA_LINE = "media_url: "
MAX_MEDIA_URL = 500


class BadRequest(ApplicationError):
    """A parameter is missing or malformed (GeoReport answers 400)."""

    status = 400
    code = "bad_request"


# --- Jurisdictions and clients --------------------------------------------------------------------------

def jurisdiction_resolve(*, code: str | None, fallback: Jurisdiction | None = None) -> Jurisdiction:
    """jurisdiction_id is our Jurisdiction.code; it may be left out while the instance serves one street
    (or, for a client with an api_key, the street its token belongs to)."""
    if code:
        jurisdiction = Jurisdiction.objects.filter(code=code).first()
        if jurisdiction is None:
            raise NotFound(_("jurisdiction_id %(code)s was not found.") % {"code": code}, code="jurisdiction_not_found")
        return jurisdiction
    if fallback is not None:
        return fallback
    streets = list(Jurisdiction.objects.order_by("id")[:2])
    if not streets:
        raise NotFound(_("No jurisdiction has been set up yet."), code="jurisdiction_not_found")
    if len(streets) > 1:
        raise BadRequest(_("jurisdiction_id was not provided: this endpoint serves several jurisdictions."),
                         code="jurisdiction_required")
    return streets[0]


@dataclass
class Client:
    """An Open311 client, known by its api_key: a machine user and the token it used."""

    user: User
    token_id: int

    @property
    def source_key(self) -> str:
        return intake.source_key_for(token_id=self.token_id)


def client_for_key(*, api_key: str | None) -> Client:
    key = (api_key or "").strip()
    if not key:
        raise PermissionDenied(_("api_key is missing -- can't proceed with create_request."), code="api_key_missing")
    user = api_token_authenticate(key=key)
    token_id = ApiToken.objects.filter(key_hash=ApiToken.hash_key(key)).values_list("pk", flat=True).first()
    if user is None or token_id is None:
        raise PermissionDenied(_("Invalid api_key received -- can't proceed with create_request."),
                               code="api_key_invalid")
    return Client(user=user, token_id=token_id)


def client_check_jurisdiction(client: Client, jurisdiction: Jurisdiction) -> None:
    if not client.user.is_superuser and client.user.jurisdiction_id != jurisdiction.pk:
        message = _("This api_key is not valid for jurisdiction_id %(code)s.") % {"code": jurisdiction.code}
        raise PermissionDenied(message, code="api_key_jurisdiction")


def changeset() -> str:
    latest = Jurisdiction.objects.aggregate(at=Max("updated_at"))["at"]
    return timezone.localtime(latest).strftime("%Y-%m-%d %H:%M") if latest else ""


# --- Services: one per active minor category ---------------------------------------------------------

def services_for(*, jurisdiction: Jurisdiction) -> QuerySet[Category]:
    return (Category.objects.filter(jurisdiction=jurisdiction, parent__isnull=False, active=True, parent__active=True)
            .select_related("parent").order_by("code"))


def service_get(*, jurisdiction: Jurisdiction, service_code: str | None) -> Category:
    code = (service_code or "").strip()
    if not code:
        raise BadRequest(_("service_code was not provided."), code="service_code_required")
    category = services_for(jurisdiction=jurisdiction).filter(code=code).first()
    if category is None:
        raise NotFound(_("service_code %(code)s was not found.") % {"code": code}, code="service_code_not_found")
    return category


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    description: str
    order: int
    values: tuple[tuple[str, str], ...] = ()
    required: bool = False
    datatype_description: str | None = None


RIDER_YES, RIDER_NO = "yes", "no"


def attributes() -> list[Attribute]:
    """Attributes every service takes: whether a delivery rider reports, and from which platform."""
    return [
        Attribute("rider", "singlevaluelist", _("Are you a delivery or courier rider (外卖/快递小哥)?"), 1,
                  values=((RIDER_YES, _("Yes, a delivery or courier rider")), (RIDER_NO, _("No")))),
        Attribute("platform", "string", _("Rider: which platform you ride for (e.g. 美团, 饿了么, 顺丰)."), 2,
                  datatype_description=_("At most 30 characters; only with rider=yes.")),
    ]


def service_kind(category: Category) -> str:
    return str(category.get_kind_display())


# --- POST requests -------------------------------------------------------------------------------------

@dataclass
class Submission:
    """A POST requests form, parsed (strings as sent; empty means not sent)."""

    service_code: str = ""
    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    description: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    media_url: str = ""
    device_id: str = ""
    account_id: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict)


_CJK = re.compile(r"[\u3400-\u9fff]")


def _reporter_name(first: str, last: str) -> str:
    first, last = first.strip(), last.strip()
    if _CJK.search(first + last):
        return f"{last}{first}"  # 张 + 三 → 张三
    return f"{first} {last}".strip()


def _rider(attrs: dict[str, list[str]]) -> tuple[bool | None, str]:
    known = {a.code: a for a in attributes()}
    rider = None
    values = [v.strip() for v in attrs.get("rider", []) if v.strip()]
    if values:
        keys = {key for key, _name in known["rider"].values}
        if len(values) > 1 or values[0] not in keys:
            raise ApplicationError(_("attribute[rider] must be one of: %(keys)s.") % {"keys": ", ".join(sorted(keys))},
                                   code="invalid_attribute")
        rider = values[0] == RIDER_YES
    platform = " ".join(v.strip() for v in attrs.get("platform", []) if v.strip())
    if len(platform) > 30 or "\n" in platform:
        raise ApplicationError(_("attribute[platform] is one line of at most 30 characters."), code="invalid_attribute")
    return rider, "" if rider is False else platform


def _media_url(url: str) -> str:
    url = url.strip()
    if not url:
        return ""
    try:
        if len(url) > MAX_MEDIA_URL:
            raise ValidationError("too long")
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        message = _("media_url must be an http(s) URL of at most %(n)s characters.") % {"n": MAX_MEDIA_URL}
        raise ApplicationError(message, code="invalid_media_url") from exc
    return url


def request_submit(*, jurisdiction: Jurisdiction, client: Client, form: Submission) -> tuple[Report, bool]:
    """POST requests: one report through intake, as the client's machine user, throttled per api_key.

    An address without coordinates is accepted: the report waits in triage (the client gets a token). The
    same form sent again within seconds returns the first report (intake's fingerprint)."""
    client_check_jurisdiction(client, jurisdiction)
    category = service_get(jurisdiction=jurisdiction, service_code=form.service_code)
    lat, lon = form.lat.strip(), form.long.strip()
    if bool(lat) != bool(lon):
        raise BadRequest(_("lat and long must both be sent."), code="location_incomplete")
    address_id = form.address_id.strip()
    address = form.address_string.strip() or (f"address_id {address_id}" if address_id else "")
    if not lat and not address:
        raise BadRequest(_("A location is required: lat & long, address_string or address_id."),
                         code="location_required")
    rider, platform = _rider(form.attributes)
    description = form.description.strip()
    if description and len(description) < 4:  # intake's own rule, checked before the media_url line is added
        raise ApplicationError(_("Describe the problem (at least 4 characters)."), code="description_required")
    description = description or _("%(service)s (reported through Open311)") % {"service": category.name}
    media_url = _media_url(form.media_url)
    if media_url:
        description = f"{description}\n\n{MEDIA_LINE}{media_url}"
    # email, device_id and account_id are not kept: reports have no place for them, and we keep no more
    # personal data than the operators need to call the reporter back (name, phone).
    return intake.report_submit(
        jurisdiction=jurisdiction, channel=Channel.RIDER if rider else Channel.OPEN311, actor=client.user,
        description=description, lon=lon or None, lat=lat or None, crs="wgs84", address=address,
        category_code=category.code, reporter_name=_reporter_name(form.first_name, form.last_name),
        reporter_phone=form.phone, rider_platform=platform, source_key=client.source_key, media_url=media_url,
    )


def request_receipt(report: Report) -> dict:
    """What POST requests answers: the case code once the report is a case, else the tracking code as token."""
    case_code = report.case.code if report.case_id else None
    if report.status == ReportStatus.JOINED:
        notice = _("Joined case %(code)s, already open about the same problem (并单).") % {"code": case_code}
    elif report.status == ReportStatus.REJECTED:
        notice = _("Not accepted: %(reason)s") % {"reason": report.resolution_note}
    elif case_code and report.status == ReportStatus.TRIAGE:
        notice = _("Received as case %(code)s; the operations centre is checking whether it repeats an open case.") % {
            "code": case_code}
    elif case_code:
        notice = _("Received as case %(code)s: the operations centre accepts and dispatches it.") % {"code": case_code}
    else:
        reasons = {
            TriageReason.UNLOCATED: _("it could not be placed on the map"),
            TriageReason.OUTSIDE: _("the place is outside this jurisdiction"),
            TriageReason.LOW_CONFIDENCE: _("its category needs checking"),
        }
        why = "; ".join(str(reasons[r]) for r in report.triage_reasons if r in reasons) or _("it needs review")
        notice = _("Received; the operations centre will review it (%(why)s). Ask for the request id with the token.") % {
            "why": why}
    receipt = {"service_request_id": case_code} if case_code else {"token": report.tracking_code}
    return {**receipt, "service_notice": notice, "account_id": None}


def token_lookup(*, jurisdiction: Jurisdiction, token: str) -> dict:
    report = Report.objects.select_related("case").filter(
        jurisdiction=jurisdiction, tracking_code=(token or "").strip().upper()).first()
    if report is None:
        raise NotFound(_("token %(token)s was not found.") % {"token": token}, code="token_not_found")
    return {"service_request_id": report.case.code if report.case_id else None, "token": report.tracking_code}


# --- GET requests: cases as the public may read them ----------------------------------------------------

@dataclass
class RequestQuery:
    service_request_ids: list[str] = field(default_factory=list)
    service_codes: list[str] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    statuses: list[str] = field(default_factory=list)


def requests_query(*, jurisdiction: Jurisdiction, query: RequestQuery,
                   now: datetime | None = None) -> tuple[list[Case], bool]:
    """GET requests: newest first, at most MAX_REQUESTS (a hard maximum). service_request_id overrides every
    other filter; otherwise the window defaults to the last 90 days and may not span more. Returns (cases,
    truncated)."""
    qs = _public_cases().filter(jurisdiction=jurisdiction)
    if query.service_request_ids:
        qs = qs.filter(code__in=query.service_request_ids[:MAX_REQUESTS])
    else:
        bad = set(query.statuses) - {"open", "closed"}
        if bad:
            raise BadRequest(_("status must be open or closed (comma separated)."), code="invalid_status")
        start, end = query.start, query.end
        if start is None and end is None:
            end = now or timezone.now()
        if start is None:
            start = end - timedelta(days=MAX_DAYS)
        if end is None:
            end = start + timedelta(days=MAX_DAYS)
        if start > end:
            raise BadRequest(_("start_date is after end_date."), code="invalid_dates")
        if end - start > timedelta(days=MAX_DAYS):
            raise BadRequest(_("start_date and end_date may not span more than %(n)s days.") % {"n": MAX_DAYS},
                             code="invalid_dates")
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
        if query.service_codes:
            qs = qs.filter(category__code__in=query.service_codes)
        if set(query.statuses) == {"open"}:
            qs = qs.filter(is_open=True)
        elif set(query.statuses) == {"closed"}:
            qs = qs.filter(is_open=False)
    rows = list(qs.order_by("-created_at", "-id")[:MAX_REQUESTS + 1])
    return rows[:MAX_REQUESTS], len(rows) > MAX_REQUESTS


def request_get(*, jurisdiction: Jurisdiction, service_request_id: str) -> Case:
    case = _public_cases().filter(jurisdiction=jurisdiction, code=(service_request_id or "").strip()).first()
    if case is None:
        raise NotFound(_("service_request_id %(id)s was not found.") % {"id": service_request_id},
                       code="request_not_found")
    return case


def _public_cases() -> QuerySet[Case]:
    """Cases the public may list: not video alerts or meeting resolutions, not the sensitive categories
    (WANGGE_PUBLIC_HIDDEN_CATEGORIES, major or minor codes; by default 社会治安与矛盾纠纷)."""
    hidden = settings.WANGGE_PUBLIC_HIDDEN_CATEGORIES
    rejections = CaseEvent.objects.filter(action="reject").order_by("-seq")
    return (Case.objects.exclude(channel__in=["video", "meeting"])
            .exclude(category__code__in=hidden).exclude(category__parent__code__in=hidden)
            .select_related("category", "lead_department", "merged_into")
            .annotate(sent_media_url=Subquery(Report.objects.filter(case=OuterRef("pk")).exclude(media_url="")
                                              .order_by("created_at", "id").values("media_url")[:1]))
            .prefetch_related(Prefetch("events", queryset=rejections, to_attr="rejections"),
                              Prefetch("attachments", queryset=_report_photos(), to_attr="report_photos")))


def _report_photos() -> QuerySet[Attachment]:
    """The reporter's own photos (cleaned at upload), not the handlers' before/after or verification photos."""
    return Attachment.objects.filter(kind=AttachmentKind.REPORT).order_by("created_at", "id")


def media_get(*, service_request_id: str, photo_id: int) -> Attachment:
    """A reporter's photo of a publicly listed request, for the media_url that GET service_requests gives
    (none while WANGGE_OPEN311_PUBLIC_PHOTOS is off)."""
    if not settings.WANGGE_OPEN311_PUBLIC_PHOTOS:
        raise NotFound(_("No such media."), code="media_not_found")
    cases = _public_cases().filter(code=(service_request_id or "").strip())
    photo = _report_photos().filter(pk=photo_id, case__in=cases.values("pk")).first()
    if photo is None:
        raise NotFound(_("No such media."), code="media_not_found")
    return photo


def split_media(text: str) -> tuple[str, str | None]:
    """(description, media_url) from a description that may end with the media_url line."""
    head, sep, tail = (text or "").rpartition(MEDIA_LINE)
    url = tail.strip()
    if sep and head.endswith("\n") and url and " " not in url and url.startswith(("http://", "https://")):
        return head.rstrip(), url
    return (text or "").strip(), None


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}|\d{7,}")


def public_description(case: Case) -> str:
    """The case's description without its reporter: no name, phone, email, nor long digit runs (IDs)."""
    text, _url = split_media(case.description)
    name = case.reporter_name.strip()
    if len(name) >= 2:
        text = text.replace(name, mask_name(name))
    text = _EMAIL.sub("***", text)
    return _PHONE.sub("****", text)


def _status_notes(case: Case) -> str:
    if case.state == State.MERGED and case.merged_into_id:
        return _("Duplicate request: merged into %(code)s (并单).") % {"code": case.merged_into.code}
    if case.state == State.REJECTED:
        rejection = next(iter(getattr(case, "rejections", [])), None)
        reason = rejection.reason if rejection else ""
        return _("Not accepted: %(reason)s") % {"reason": reason} if reason else _("Not accepted.")
    if case.shelved:
        return _("On hold (挂账).")
    return str(State(case.state).label)


def w3c(dt: datetime | None) -> str | None:
    return timezone.localtime(dt).isoformat(timespec="seconds") if dt else None


def request_public(case: Case, *, photo_url: Callable[[Case, Attachment], str] | None = None) -> dict:
    """One service request in GeoReport's field order; public data only. media_url: the URL the client sent
    (kept as a reference, never fetched), else the reporter's first photo at `photo_url(case, photo)`."""
    closed = not case.is_open
    # The reference a client sent is kept on its report (a description line saying "media_url: …" is only text).
    media_url = getattr(case, "sent_media_url", None) or None
    photos = getattr(case, "report_photos", None)
    if media_url is None and photo_url is not None:
        photos = list(_report_photos().filter(case=case)[:1]) if photos is None else photos
        media_url = photo_url(case, photos[0]) if photos else None
    return {
        "service_request_id": case.code,
        "status": "closed" if closed else "open",
        "status_notes": _status_notes(case),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": public_description(case),
        "agency_responsible": case.lead_department.name if case.lead_department_id else None,
        "service_notice": None,
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(case.closed_at if closed and case.closed_at else case.updated_at),
        "expected_datetime": w3c(case.deadline_at),
        "address": case.address or None,
        "lat": case.lat,
        "long": case.lon,
        "media_url": media_url,
    }
