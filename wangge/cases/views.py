"""Pages of the case loop: queue / inbox, case page with htmx actions, report form, notifications."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.models import Role
from wangge.cases import notify, selectors, services
from wangge.cases.forms import ACTION_FIELDS, ReportForm
from wangge.cases.models import Channel
from wangge.cases.uploads import photos_from_files
from wangge.cases.workflow import ACTIONS, OPEN_STATES, State
from wangge.core.errors import ApplicationError, NotFound, PermissionDenied
from wangge.grids.models import Department
from wangge.grids.selectors import jurisdiction_for_user

QUEUE_PAGE = 50


def _jurisdiction(request):
    try:
        return jurisdiction_for_user(request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc


def _case(request, code: str):
    try:
        return selectors.case_get_for_user(user=request.user, jurisdiction=_jurisdiction(request), code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
def queue_page(request):
    jurisdiction = _jurisdiction(request)
    user = request.user
    params = {k: request.GET.get(k) or None for k in ("state", "grid", "category", "channel", "lateness", "q")}
    if params["lateness"] not in (None, "overdue", "soon"):
        params["lateness"] = None
    if "state" not in request.GET:
        params["state"] = State.HANDLED if user.role == Role.GRID_WORKER else "open"
    department = request.GET.get("department")
    qs = selectors.queue(user=user, jurisdiction=jurisdiction, department=int(department) if (department or "").isdigit() else None,
                         mine=user.role == Role.HANDLER and request.GET.get("mine", "1") == "1", **params)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    total = qs.count()
    cases = list(qs[(page - 1) * QUEUE_PAGE : page * QUEUE_PAGE])
    context = {
        "cases": cases, "total": total, "page": page, "has_next": page * QUEUE_PAGE < total, "params": params,
        "now": timezone.now(), "states": [(s.value, s.label) for s in State], "open_states": OPEN_STATES,
        "departments": Department.objects.filter(jurisdiction=jurisdiction) if user.is_jurisdiction_wide else [],
        "channels": Channel.choices,
        "title": _("Department inbox") if user.role == Role.HANDLER else (_("My grids") if user.role == Role.GRID_WORKER else _("Case queue")),
    }
    template = "cases/partials/queue_table.html" if request.htmx else "cases/queue.html"
    return render(request, template, context)


def _panel_context(request, case, error: str = "", status_code: int = 200) -> dict:
    allowed = services.case_allowed_actions(case=case, user=request.user)
    departments = Department.objects.filter(jurisdiction=case.jurisdiction_id).order_by("code")
    return {
        "case": case, "error": error, "status_code": status_code,
        "actions": [{"name": a, "label": ACTIONS[a].label, "needs_reason": ACTIONS[a].needs_reason,
                     "fields": ACTION_FIELDS.get(a, ())} for a in allowed],
        "departments": departments, "timeline": selectors.timeline(case=case),
        "reporter": selectors.reporter_view(user=request.user, case=case),
        "attachments": list(case.attachments.all()), "now": timezone.now(),
        "map_point": {"lon": case.lon, "lat": case.lat, "code": case.code,
                      "grid": case.grid.geometry if case.grid_id else None},
    }


@login_required
def case_page(request, code: str):
    case = _case(request, code)
    return render(request, "cases/case.html", _panel_context(request, case))


@login_required
@require_POST
def case_act(request, code: str, verb: str):
    """One action from the case page (htmx): re-renders the case panel; errors keep their 4xx status."""
    case = _case(request, code)
    data = request.POST
    payload: dict = {}
    try:
        if verb in ("dispatch", "reassign"):
            payload = {"lead_department_id": data.get("lead_department_id"),
                       "assisting_ids": data.getlist("assisting_ids")}
        elif verb == "request_extension":
            payload = {"hours": data.get("hours")}
        elif verb == "evaluate":
            payload = {"rating": data.get("rating"), "comment": data.get("comment", "")}
        photos = photos_from_files(request.FILES.getlist("photos"), kind=data.get("photo_kind") or "after") \
            if request.FILES else []
        version = int(data["version"]) if (data.get("version") or "").isdigit() else None
        if verb == "merge":
            target = selectors.case_get_for_user(user=request.user, jurisdiction=case.jurisdiction,
                                                 code=(data.get("into") or "").strip())
            services.case_merge(case_id=case.pk, into_case_id=target.pk, actor=request.user, reason=data.get("reason", ""))
        else:
            services.case_act(case_id=case.pk, actor=request.user, action=verb, reason=data.get("reason", ""),
                              payload=payload, expected_version=version, attachments=photos)
    except ApplicationError as exc:
        case.refresh_from_db()
        context = _panel_context(request, case, error=exc.message, status_code=exc.status)
        # What was typed stays in the form to correct and send again (the photos must be chosen again).
        context["retry"] = {"action": verb, **{k: data.get(k, "") for k in ("reason", "hours", "comment", "into")}}
        return render(request, "cases/partials/panel.html", context, status=exc.status)
    case.refresh_from_db()
    if not request.htmx:
        return redirect("cases:case", code=case.code)
    return render(request, "cases/partials/panel.html", _panel_context(request, case))


@login_required
def report_page(request):
    jurisdiction = _jurisdiction(request)
    user = request.user
    if not (user.is_jurisdiction_wide or user.role == Role.GRID_WORKER):
        raise DjangoPermissionDenied("Operators and grid workers report cases here.")
    form = ReportForm(request.POST or None, jurisdiction=jurisdiction, user=user)
    error = ""
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            before = photos_from_files(request.FILES.getlist("photos"), kind="report")
            if d.get("quick"):
                after = photos_from_files(request.FILES.getlist("after_photos"), kind="after")
                case = services.case_quick_handle(
                    jurisdiction=jurisdiction, actor=user, category_code=d["category"], description=d["description"],
                    lon=d["lon"], lat=d["lat"], crs=d["crs"], address=d["address"], result=d["result"],
                    idempotency_key=d["idempotency_key"], before=before, after=after,
                )
            else:
                case, _created = services.case_report(
                    jurisdiction=jurisdiction, actor=user,
                    channel=Channel.PATROL if user.role == Role.GRID_WORKER else Channel.OPERATOR,
                    category_code=d["category"], description=d["description"], lon=d["lon"], lat=d["lat"], crs=d["crs"],
                    address=d["address"], reporter_name=d["reporter_name"], reporter_phone=d["reporter_phone"],
                    priority=int(d["priority"]), idempotency_key=d["idempotency_key"], attachments=before,
                )
            return redirect("cases:case", code=case.code)
        except ApplicationError as exc:
            error = exc.message
    status = 422 if request.method == "POST" else 200
    return render(request, "cases/report.html", {"form": form, "error": error, "boundary": jurisdiction.boundary},
                  status=status)


@login_required
def notifications_page(request):
    if request.method == "POST":
        selectors.unread_notifications(user=request.user).update(read_at=timezone.now())
        return redirect("cases:notifications")
    items = list(request.user.notifications.select_related("case")[:100])
    for n in items:
        n.text = notify.render(n)  # in the reader's language
    return render(request, "cases/notifications.html", {"items": items})


@login_required
def notification_count(request):
    n = selectors.unread_notifications(user=request.user).count()
    return HttpResponse(str(n) if n else "")
