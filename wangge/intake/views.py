"""Intake pages: the public report page (no account, phone-sized), the follow page, the triage queue."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.models import Role
from wangge.cases.models import Category, Channel
from wangge.cases.selectors import categories as category_list
from wangge.cases.uploads import photos_from_files
from wangge.core.errors import ApplicationError, NotFound
from wangge.grids.selectors import grids_feature_collection, jurisdiction_for_user
from wangge.intake import selectors, services
from wangge.intake.forms import PublicReportForm, RatingForm, TrackForm
from wangge.intake.models import Report, TriageReason
from wangge.routing.links import parse_location_link

# One picture per major class, so the category can be found without reading (shown in the picker).
ICONS = {"BJ01": "🚰", "BJ02": "🚦", "BJ03": "🗑️", "BJ04": "🌳", "BJ05": "🏚️", "BJ06": "🔧", "SJ01": "🧹",
         "SJ02": "🛠️", "SJ03": "🚨", "SJ04": "🛵", "SJ05": "🏪", "SJ06": "🚧", "SJ07": "🏘️", "SJ08": "👮",
         "SJ09": "🤝", "SJ10": "❓"}


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _public_jurisdiction(request):
    try:
        return selectors.public_jurisdiction(code=request.GET.get("j") or request.POST.get("j"))
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _picker(jurisdiction) -> list[dict]:
    majors: dict[int, dict] = {}
    minors = list(category_list(jurisdiction=jurisdiction).filter(parent__isnull=False).select_related("parent"))
    for c in minors:
        group = majors.setdefault(c.parent_id, {"code": c.parent.code, "name": f"{c.parent.name} · {c.parent.get_kind_display()}",
                                                "icon": ICONS.get(c.parent.code, "📍"), "children": []})
        group["children"].append({"code": c.code, "name": c.name, "keywords": " ".join(c.keywords or [])})
    return sorted(majors.values(), key=lambda g: g["code"])


def report_page(request):
    """上报: photos, place (GPS, pin or a pasted link), category (optional), description, phone (optional)."""
    jurisdiction = _public_jurisdiction(request)
    user = request.user if request.user.is_authenticated else None
    if user is not None and user.jurisdiction_id not in (None, jurisdiction.pk):
        jurisdiction = jurisdiction_for_user(user)
    form = PublicReportForm(request.POST or None)
    error, status = "", 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            d = form.cleaned_data
            try:
                lon, lat, crs = d["lon"], d["lat"], d["crs"] or "wgs84"
                source = d["location_source"] or "pin"
                if lon is None and d["location_link"]:
                    lon, lat, crs = parse_location_link(d["location_link"])
                    source = "link"
                photos = [p.image for p in photos_from_files(request.FILES.getlist("photos"), kind="report")]
                patrol = user is not None and user.role == Role.GRID_WORKER
                report, _created = services.report_submit(
                    jurisdiction=jurisdiction, actor=user,
                    channel=Channel.PATROL if patrol else Channel.RIDER if d["is_rider"] else Channel.RESIDENT,
                    description=d["description"], lon=lon, lat=lat, crs=crs, address=d["address"],
                    category_code=d["category"] or None, reporter_phone=d["reporter_phone"],
                    rider_platform=d["rider_platform"] if d["is_rider"] else "",
                    rider_station=d["rider_station"] if d["is_rider"] else "", photos=photos,
                    idempotency_key=d["idempotency_key"], source_key=services.source_key_for(ip=client_ip(request), user=user),
                    join_case_code=d["join_case"], location_source=source if lon is not None else "",
                )
                return redirect("intake:follow", code=report.tracking_code)
            except ApplicationError as exc:
                error, status = exc.message, exc.status
    context = {"form": form, "error": error, "groups": _picker(jurisdiction), "jurisdiction": jurisdiction,
               "boundary": jurisdiction.boundary}
    return render(request, "intake/report.html", context, status=status)


def nearby_partial(request):
    """htmx: "is it one of these?" — open cases near the pin, of the chosen kind when there is one."""
    jurisdiction = _public_jurisdiction(request)
    try:
        lon, lat = float(request.GET["lon"]), float(request.GET["lat"])
        crs = request.GET.get("crs") or "wgs84"
        if crs != "wgs84":
            from wangge.routing.coords import to_wgs84

            lon, lat = to_wgs84(lon, lat, crs)
    except (KeyError, ValueError, TypeError, ApplicationError):
        return render(request, "intake/partials/nearby.html", {"rows": []})
    category = Category.objects.filter(jurisdiction=jurisdiction, code=request.GET.get("category") or "",
                                       parent__isnull=False).first()
    rows = selectors.nearby_public(jurisdiction=jurisdiction, lon=lon, lat=lat,
                                   category_id=category.pk if category else None)
    return render(request, "intake/partials/nearby.html", {"rows": rows})


def track_page(request):
    form = TrackForm(request.GET or None)
    if form.is_valid():
        code = form.cleaned_data["code"].strip().upper()
        try:
            services.report_by_code(code=code)
        except NotFound:  # a mistyped code stays in the form to correct, not a dead-end 404 page
            form.add_error("code", _("No report has this tracking code. Check it and try again."))
            return render(request, "intake/track.html", {"form": form}, status=404)
        return redirect("intake:follow", code=code)
    return render(request, "intake/track.html", {"form": form})


def _report(code: str) -> Report:
    try:
        return services.report_by_code(code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def follow_page(request, code: str):
    """The reporter's page: a public-safe timeline, and the rating once the case is closed."""
    report = _report(code)
    case = report.case
    can_rate = case is not None and case.state == "closed"
    form = RatingForm(request.POST or None) if can_rate else None
    error, status = "", 200
    if request.method == "POST":
        if form is None:
            error, status = _("The case is not closed yet; it can be rated once it is."), 409
        elif form.is_valid():
            try:
                services.report_rate(code=report.tracking_code, rating=form.cleaned_data["rating"],
                                     comment=form.cleaned_data["comment"], actor=request.user)
                return redirect("intake:follow", code=report.tracking_code)
            except ApplicationError as exc:
                error, status = exc.message, exc.status
        else:
            status = 422
    context = {"report": report, "case": case, "steps": selectors.public_timeline(report=report), "form": form,
               "error": error, "photos": list(report.photos.all()),
               "public_description": selectors.public_text(report.description, limit=2000)}
    return render(request, "intake/follow.html", context, status=status)


def follow_photo(request, code: str, photo_id: int):
    report = _report(code)
    photo = report.photos.filter(pk=photo_id).first()
    if photo is None:
        raise Http404("No such photo.")
    return FileResponse(photo.file.open("rb"), content_type=photo.content_type)


# --- Triage (operators) -------------------------------------------------------------------------------------

def _operator_jurisdiction(request):
    user = request.user
    if not (user.is_superuser or user.role in (Role.OPERATOR, Role.ADMIN)):
        raise DjangoPermissionDenied(_("Only the operations centre triages reports."))
    return jurisdiction_for_user(user)


@login_required
def triage_page(request):
    jurisdiction = _operator_jurisdiction(request)
    reason = request.GET.get("reason") if request.GET.get("reason") in TriageReason.values else None
    reports = list(selectors.triage_queue(jurisdiction=jurisdiction, reason=reason)[:100])
    # The grids for the placing map, as GeoJSON text safe inside a <script> element.
    grids = grids_feature_collection(user=request.user, jurisdiction=jurisdiction, zoom=15).replace("<", "\\u003c")
    context = {"reports": reports, "reason": reason, "reasons": TriageReason.choices, "boundary": jurisdiction.boundary,
               "grids": grids,
               "categories": list(category_list(jurisdiction=jurisdiction).filter(parent__isnull=False)),
               "count": selectors.triage_queue(jurisdiction=jurisdiction).count(),
               "summary": selectors.intake_summary(jurisdiction=jurisdiction)}
    return render(request, "intake/triage.html", context)


@login_required
@require_POST
def triage_act(request, report_id: int, verb: str):
    jurisdiction = _operator_jurisdiction(request)
    report = Report.objects.filter(jurisdiction=jurisdiction, pk=report_id).first()
    if report is None:
        raise Http404("No such report.")
    error, status = "", 200
    try:
        if verb == "file":
            lon = lat = None
            crs = "wgs84"
            where = (request.POST.get("where") or "").strip()
            if where:
                lon, lat, crs = services.place_from_text(jurisdiction=jurisdiction, text=where)
            elif request.POST.get("lon") and request.POST.get("lat"):
                lon, lat = request.POST["lon"], request.POST["lat"]
            report = services.report_triage_file(report_id=report.pk, actor=request.user, lon=lon, lat=lat, crs=crs,
                                                 category_code=request.POST.get("category") or None)
        elif verb in ("merge", "keep"):
            report = services.report_triage_duplicate(report_id=report.pk, actor=request.user, merge=verb == "merge")
        elif verb == "reject":
            report = services.report_triage_reject(report_id=report.pk, actor=request.user,
                                                   reason=request.POST.get("reason", ""))
        else:
            raise Http404("Unknown triage action.")
    except ApplicationError as exc:
        error, status = exc.message, exc.status
        report.refresh_from_db()
    context = {"r": report, "error": error, "categories": list(category_list(jurisdiction=jurisdiction).filter(parent__isnull=False))}
    if not request.htmx:
        return redirect("intake:triage") if not error else render(request, "intake/partials/triage_row.html", context, status=status)
    return render(request, "intake/partials/triage_row.html", context, status=status)

