"""Open311 GeoReport v2 server (http://wiki.open311.org/GeoReport_v2): thin views, JSON and XML.

The format is the resource's suffix (`services.json`, `services.xml`). JSON follows the spec's Spark
convention: an XML list element (`<services><service>…`) is a JSON array. Errors are the spec's
`[{"code": 404, "description": "…"}]` / `<errors><error>…` with the HTTP status; no request ends in a 500.
Machine clients: no session, no CSRF; POST requests needs an api_key (see `create_api_token`).
Domain decisions live in `intake.open311_services`.
"""

from __future__ import annotations

import json
import logging
import re
import xml.etree.ElementTree as ET
from datetime import datetime, time
from functools import wraps

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from wangge.core.errors import ApplicationError
from wangge.intake import open311_services as o311

logger = logging.getLogger(__name__)

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# Spark convention: the element name of one item of each list.
ITEMS = {"services": "service", "service_requests": "request", "attributes": "attribute", "values": "value",
         "endpoints": "endpoint", "formats": "format", "errors": "error"}
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --- Rendering -----------------------------------------------------------------------------------------

def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_INVALID.sub("", str(value))


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, ITEMS[element.tag]), item)
    else:
        element.text = _text(value)


def to_xml(root: str, data) -> bytes:
    element = ET.Element(root)
    _fill(element, data)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8", xml_declaration=False)


def render(fmt: str, root: str, data, status: int = 200) -> HttpResponse:
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False).encode()
    else:
        body = to_xml(root, data)
    return HttpResponse(body, status=status, content_type=FORMATS[fmt])


def errors(fmt: str, status: int, description: str) -> HttpResponse:
    return render(fmt, "errors", [{"code": status, "description": description}], status=status)


def endpoint(*methods: str):
    """Wrap a view: check the format and the method, map domain errors to the spec's error list. The view
    returns (root element, data[, status[, headers]])."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs) -> HttpResponse:
            fmt = fmt.lower()
            if fmt not in FORMATS:
                return errors("xml", 400, _("Unknown format %(fmt)s: use .xml or .json.") % {"fmt": fmt})
            allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())
            if request.method not in allowed:
                response = errors(fmt, 405, _("%(method)s is not allowed here.") % {"method": request.method})
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            try:
                root, data, *extra = view(request, fmt, **kwargs)
            except ApplicationError as exc:
                response = errors(fmt, exc.status, exc.message)
                if exc.status == 429 and isinstance(exc.details, dict) and exc.details.get("window_seconds"):
                    response["Retry-After"] = str(exc.details["window_seconds"])
                return response
            except Exception:  # the spec's "general service error": logged, answered 400, never a 500
                logger.exception("Open311 %s %s failed", request.method, request.path)
                return errors(fmt, 400, _("General service error: the request could not be processed."))
            response = render(fmt, root, data, extra[0] if extra else 200)
            for header, value in (extra[1] if len(extra) > 1 else {}).items():
                response[header] = value
            return response

        return wrapper

    return decorate


# --- Parameters ----------------------------------------------------------------------------------------

def _param(request: HttpRequest, name: str) -> str:
    """An optional argument: empty is the same as not sent."""
    value = request.POST.get(name, "").strip() if request.method == "POST" else ""
    return value or request.GET.get(name, "").strip()


def _jurisdiction(request: HttpRequest, fallback=None):
    return o311.jurisdiction_resolve(code=_param(request, "jurisdiction_id") or None, fallback=fallback)


def _datetime(request: HttpRequest, name: str):
    raw = _param(request, name)
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
        if value is None and (day := parse_date(raw)) is not None:
            value = datetime.combine(day, time())
    except ValueError:
        value = None
    if value is None:
        raise o311.BadRequest(_("%(name)s must be a w3c datetime such as 2010-01-01T00:00:00Z.") % {"name": name},
                              code="invalid_date")
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _csv(request: HttpRequest, name: str) -> list[str]:
    """A comma list, which may also be declared several times (status=open&status=closed)."""
    return [part.strip() for value in request.GET.getlist(name) for part in value.split(",") if part.strip()]


_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](?:\[\])?$")


def _submission(request: HttpRequest) -> o311.Submission:
    form = request.POST
    attrs: dict[str, list[str]] = {}
    for key in form:
        if m := _ATTRIBUTE.match(key):
            attrs.setdefault(m.group(1), []).extend(form.getlist(key))
    names = ("service_code", "lat", "long", "address_string", "address_id", "description", "email", "first_name",
             "last_name", "phone", "media_url", "device_id", "account_id")
    return o311.Submission(**{name: form.get(name, "") for name in names}, attributes=attrs)


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("open311:root")).rstrip("/")


# --- Endpoints -----------------------------------------------------------------------------------------

def discovery_document(request: HttpRequest) -> dict:
    changeset = o311.changeset()
    return {
        "changeset": changeset,
        "contact": _("Ask the operations centre (城运中心) of your street."),
        "key_service": _("An api_key is issued by the street's administrator (manage.py create_api_token)."),
        "endpoints": [{
            "specification": o311.SPECIFICATION,
            "url": base_url(request),
            "changeset": changeset,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    }


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str):
    return "discovery", discovery_document(request)


@csrf_exempt
def root(request: HttpRequest) -> HttpResponse:
    """The base URL answers with the discovery document (XML, the required format)."""
    return discovery(request, fmt="xml")


@endpoint("GET")
def services(request: HttpRequest, fmt: str):
    jurisdiction = _jurisdiction(request)
    return "services", [{
        "service_code": c.code,
        "service_name": c.name,
        "description": f"{c.parent.name} / {c.name}（{o311.service_kind(c)}）",
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(c.keywords or []),
        "group": c.parent.name,
    } for c in o311.services_for(jurisdiction=jurisdiction)]


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, service_code: str):
    category = o311.service_get(jurisdiction=_jurisdiction(request), service_code=service_code)
    return "service_definition", {
        "service_code": category.code,
        "attributes": [{
            "variable": True,
            "code": a.code,
            "datatype": a.datatype,
            "required": a.required,
            "datatype_description": a.datatype_description,
            "order": a.order,
            "description": a.description,
            **({"values": [{"key": key, "name": name} for key, name in a.values]} if a.values else {}),
        } for a in o311.attributes()],
    }


@endpoint("GET", "POST")
def requests_(request: HttpRequest, fmt: str):
    if request.method == "POST":
        return _post_request(request)
    jurisdiction = _jurisdiction(request)
    query = o311.RequestQuery(
        service_request_ids=_csv(request, "service_request_id"), service_codes=_csv(request, "service_code"),
        start=_datetime(request, "start_date"), end=_datetime(request, "end_date"), statuses=_csv(request, "status"),
    )
    cases, truncated = o311.requests_query(jurisdiction=jurisdiction, query=query)
    # GeoReport has no paging: say in headers that the list stops at the hard maximum.
    headers = {"X-Open311-Limit": str(o311.MAX_REQUESTS), "X-Open311-Truncated": "true" if truncated else "false"}
    return "service_requests", [o311.request_public(case, photo_url=_photo_url(request)) for case in cases], 200, headers


def _post_request(request: HttpRequest):
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise o311.BadRequest(_("Send the request as application/x-www-form-urlencoded."), code="form_required")
    client = o311.client_for_key(api_key=_param(request, "api_key"))
    jurisdiction = _jurisdiction(request, fallback=client.user.jurisdiction)
    report, created = o311.request_submit(jurisdiction=jurisdiction, client=client, form=_submission(request))
    return "service_requests", [o311.request_receipt(report)], 201 if created else 200


@endpoint("GET")
def request_detail(request: HttpRequest, fmt: str, service_request_id: str):
    case = o311.request_get(jurisdiction=_jurisdiction(request), service_request_id=service_request_id)
    return "service_requests", [o311.request_public(case, photo_url=_photo_url(request))]


def _photo_url(request: HttpRequest):
    if not settings.WANGGE_OPEN311_PUBLIC_PHOTOS:
        return None

    def url(case, photo) -> str:
        return request.build_absolute_uri(reverse("open311:media", kwargs={"service_request_id": case.code,
                                                                           "photo_id": photo.pk}))

    return url


def media(request: HttpRequest, service_request_id: str, photo_id: str) -> HttpResponse:
    """A reporter's photo of a public request (the media_url of GET service_requests when no URL was sent)."""
    if request.method not in ("GET", "HEAD"):
        response = errors("xml", 405, _("%(method)s is not allowed here.") % {"method": request.method})
        response["Allow"] = "GET, HEAD"
        return response
    try:
        photo = o311.media_get(service_request_id=service_request_id, photo_id=int(photo_id))
    except ApplicationError as exc:
        return errors("xml", exc.status, exc.message)
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=3600"
    return response


@endpoint("GET")
def token(request: HttpRequest, fmt: str, token: str):
    return "service_requests", [o311.token_lookup(jurisdiction=_jurisdiction(request), token=token)]


@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    fmt = "json" if path.lower().endswith(".json") else "xml"
    return errors(fmt, 404, _("No such Open311 resource: %(path)s") % {"path": path or "/"})
