"""Pages of the vision loop: the live wall (htmx refresh), cameras and the zone editor, alert review.
Thin: the same selectors and services as the API; domain errors become 403/404 or a message on the form."""

from __future__ import annotations

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.core.errors import ApplicationError, NotFound, PermissionDenied
from wangge.grids.models import Department
from wangge.grids.selectors import jurisdiction_for_user

from . import selectors, services
from .models import AlertStatus, CameraKind


def page(view):
    """login required; PermissionDenied → 403, NotFound → 404."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            request.jurisdiction = jurisdiction_for_user(request.user)
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from exc
        except NotFound as exc:
            raise Http404(exc.message) from exc

    return wrapped


@page
def wall_page(request):
    rows = selectors.wall(user=request.user, jurisdiction=request.jurisdiction)
    template = "vision/partials/wall_cards.html" if request.htmx else "vision/wall.html"
    return render(request, template, {"rows": rows})


@page
def camera_list_page(request):
    cameras = selectors.cameras_for(user=request.user, jurisdiction=request.jurisdiction).prefetch_related(
        "zones"
    )
    form, status = {}, 200
    if request.method == "POST":
        form = request.POST
        try:
            camera = services.camera_register(
                jurisdiction=request.jurisdiction,
                actor=request.user,
                name=form.get("name", ""),
                lon=form.get("lon"),
                lat=form.get("lat"),
                crs=form.get("crs", "wgs84") or "wgs84",
                kind=form.get("kind", ""),
                stream_url=form.get("stream_url", ""),
                address=form.get("address", ""),
                sample_fps=form.get("sample_fps") or 1.0,
            )
        except ApplicationError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(
                request,
                _("Camera %(name)s registered. Take a snapshot, then draw its zones.")
                % {"name": camera.name},
            )
            return redirect("vision:camera", camera_id=camera.pk)
    return render(
        request,
        "vision/cameras.html",
        {
            "cameras": cameras,
            "kinds": CameraKind.choices,
            "form": form,
            "can_admin": request.user.is_territory_admin,
        },
        status=status,
    )


@page
def camera_page(request, camera_id: int):
    camera = selectors.camera_get_for_user(
        user=request.user, jurisdiction=request.jurisdiction, camera_id=camera_id
    )
    form, status = {}, 200
    editing = None
    if request.GET.get("zone"):  # the editor opened on an existing zone: its values fill the form
        editing = (
            camera.zones.filter(pk=request.GET["zone"]).first() if request.GET["zone"].isdigit() else None
        )
        if editing is None:
            raise NotFound(_("No such zone."))
        form = _zone_form(editing)
    if request.method == "POST":
        form = request.POST
        try:
            if form.get("do") == "snapshot":
                services.camera_snapshot(camera=camera, actor=request.user)
                messages.success(request, _("New picture taken."))
            elif form.get("do") == "delete_zone":
                zone = camera.zones.filter(pk=form.get("zone")).first()
                if zone is None:
                    raise NotFound(_("No such zone."))
                services.zone_delete(zone=zone, actor=request.user)
                messages.success(request, _("Zone removed."))
            else:
                try:
                    polygon = json.loads(form.get("polygon") or "[]")
                except ValueError:
                    polygon = "?"
                editing = None
                if form.get("zone"):  # changing an existing zone (same checks as a new one)
                    editing = camera.zones.filter(pk=form["zone"]).first() if form["zone"].isdigit() else None
                    if editing is None:
                        raise NotFound(_("No such zone."))
                services.zone_save(
                    camera=camera,
                    actor=request.user,
                    name=form.get("name", ""),
                    polygon=polygon,
                    zone=editing,
                    alert_level=form.get("alert_level"),
                    clear_level=form.get("clear_level"),
                    hold_seconds=form.get("hold_seconds") or 60,
                    cooldown_seconds=form.get("cooldown_seconds") or 600,
                    window_seconds=form.get("window_seconds") or 30,
                    active_from=form.get("active_from") or None,
                    active_until=form.get("active_until") or None,
                )
                messages.success(request, _("Zone saved."))
        except ApplicationError as exc:
            if isinstance(exc, (PermissionDenied, NotFound)):
                raise
            messages.error(request, exc.message)
            status = exc.status
        else:
            return redirect("vision:camera", camera_id=camera.pk)
        camera.refresh_from_db()
    return render(
        request,
        "vision/camera.html",
        {
            "camera": camera,
            "zones": list(camera.zones.all()),
            "form": form,
            "can_admin": request.user.is_territory_admin,
            "editing": editing,
        },
        status=status,
    )


def _zone_form(zone) -> dict:
    return {
        "zone": str(zone.pk),
        "name": zone.name,
        "polygon": json.dumps(zone.polygon),
        "alert_level": zone.alert_level,
        "clear_level": zone.clear_level,
        "hold_seconds": zone.hold_seconds,
        "window_seconds": zone.window_seconds,
        "cooldown_seconds": zone.cooldown_seconds,
        "active_from": zone.active_from.strftime("%H:%M") if zone.active_from else "",
        "active_until": zone.active_until.strftime("%H:%M") if zone.active_until else "",
    }


@page
def camera_frame(request, camera_id: int):
    camera = selectors.camera_get_for_user(
        user=request.user, jurisdiction=request.jurisdiction, camera_id=camera_id
    )
    if not camera.last_frame:
        raise Http404("No picture yet.")
    response = FileResponse(camera.last_frame.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@page
def alert_list_page(request):
    alerts = selectors.alerts_visible_to(user=request.user, jurisdiction=request.jurisdiction)
    status = request.GET.get("status") or ""
    if status in AlertStatus.values:
        alerts = alerts.filter(status=status)
    return render(
        request,
        "vision/alerts.html",
        {"alerts": alerts[:200], "status": status, "statuses": AlertStatus.choices},
    )


def _alert(request, alert_id: int):
    return selectors.alert_get_for_user(
        user=request.user, jurisdiction=request.jurisdiction, alert_id=alert_id
    )


@page
def alert_page(request, alert_id: int):
    alert = _alert(request, alert_id)
    return render(
        request,
        "vision/alert.html",
        {
            "alert": alert,
            "chart": selectors.alert_chart(alert),
            "can_review": services.can_operate(request.user),
            "departments": Department.objects.filter(jurisdiction=request.jurisdiction).order_by("code"),
        },
    )


@page
@require_POST
def alert_review(request, alert_id: int, verb: str):
    alert = _alert(request, alert_id)
    try:
        if verb == "confirm":
            department = request.POST.get("department_id") or ""
            services.alert_confirm(
                alert=alert,
                actor=request.user,
                note=request.POST.get("note", ""),
                department_id=int(department) if department.isdigit() else None,
            )
            messages.success(request, _("Alert confirmed; the case goes on."))
        elif verb == "dismiss":
            services.alert_dismiss(alert=alert, actor=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, _("Alert dismissed as a false alarm."))
        else:
            raise NotFound(_("Unknown review action."))
    except ApplicationError as exc:
        if isinstance(exc, (PermissionDenied, NotFound)):
            raise
        messages.error(request, exc.message)
    return redirect("vision:alert", alert_id=alert.pk)


@page
def alert_evidence(request, alert_id: int):
    alert = _alert(request, alert_id)
    if not alert.evidence:
        raise Http404("The evidence frame was purged.")
    response = FileResponse(alert.evidence.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response
