"""Outreach pages. Riders (phone-sized, no account): the service catalogue, an event's sign-up, a survey, the
convention. Staff (union staff, operators, admins; the street leader reads masked): the catalogue and
events with their sign-ups, the survey builder and results, the convention editor, the riders list."""

from __future__ import annotations

import csv
import json
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.core.errors import ApplicationError, NotFound
from wangge.core.privacy import mask_name, mask_phone
from wangge.intake.selectors import public_jurisdiction
from wangge.outreach import selectors, services
from wangge.outreach.forms import (
    ConventionForm,
    ConventionSignForm,
    EventForm,
    RiderForm,
    ServiceForm,
    SignUpForm,
    SurveyForm,
    new_idempotency_key,
)
from wangge.outreach.models import ServiceKind, SignUp, Survey, SurveyResponse

DEVICE_COOKIE = "wg_device"
DEVICE_COOKIE_AGE = 365 * 24 * 3600
KIND_ICONS = {"medical": "🩺", "counselling": "💬", "course": "📚", "shopping": "🛒", "insurance": "🛡️",
              "legal": "⚖️", "other": "🤝"}
# Which form field an error code belongs to (shown next to the field instead of on top of the page).
FIELD_OF_ERROR = {"invalid_phone": "phone", "name_required": "name", "name_too_long": "name"}


def _ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _public_jurisdiction(request):
    try:
        return public_jurisdiction(code=request.GET.get("j") or request.POST.get("j"))
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _form_error(form, exc: ApplicationError) -> str:
    """Put the error next to its field when it has one; else return it for the top of the page."""
    field = FIELD_OF_ERROR.get(exc.code)
    if field and field in form.fields:
        form.add_error(field, exc.message)
        return ""
    return exc.message


# --- Riders: catalogue and event sign-up -------------------------------------------------------------------

def catalogue_page(request):
    jurisdiction = _public_jurisdiction(request)
    items = selectors.catalogue(jurisdiction=jurisdiction)
    for s in items:
        s.icon = KIND_ICONS.get(s.kind, "🤝")
        for e in s.upcoming:
            e.service = s
            e.signup_state = services.event_signup_state(event=e)
    kinds = [(k, label, KIND_ICONS[k]) for k, label in ServiceKind.choices if any(s.kind == k for s in items)]
    return render(request, "outreach/catalogue.html", {"jurisdiction": jurisdiction, "services": items,
                                                       "kinds": kinds})


def event_page(request, event_id: int):
    try:
        event = selectors.public_event(event_id=event_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    form = SignUpForm(request.POST or None)
    error, status = "", 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                signup, created = services.event_signup(
                    event_id=event.pk, name=form.cleaned_data["name"], phone=form.cleaned_data["phone"],
                    source_key=services.source_key_for(ip=_ip(request)))
                who = f"{mask_name(signup.name)} {mask_phone(signup.phone)}"
                if created:
                    messages.success(request, _("You are signed up (%(who)s). See you there!") % {"who": who})
                else:
                    messages.info(request, _("This phone had already signed up (%(who)s, %(when)s): your seat is "
                                             "kept.") % {"who": who,
                                                         "when": timezone.localtime(signup.created_at).strftime("%m-%d %H:%M")})
                return redirect("outreach:event", event_id=event.pk)
            except ApplicationError as exc:
                error, status = _form_error(form, exc), exc.status
                event.refresh_from_db()
    context = {"event": event, "form": form, "error": error, "state": services.event_signup_state(event=event),
               "icon": KIND_ICONS.get(event.service.kind, "🤝")}
    return render(request, "outreach/event.html", context, status=status)


# --- Riders: surveys ---------------------------------------------------------------------------------------

def _answers_from_post(survey: Survey, post) -> dict:
    answers: dict = {}
    for q in survey.questions:
        qid = q["id"]
        if q["type"] == "multiple":
            values = post.getlist(qid)
            if values:
                answers[qid] = values
        elif post.get(qid) not in (None, ""):
            answers[qid] = post.get(qid)
    return answers


def survey_page(request, code: str):
    try:
        survey = selectors.public_survey(code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    device = request.COOKIES.get(DEVICE_COOKIE) or ""
    answered = bool(device) and SurveyResponse.objects.filter(
        survey=survey, device_hash=services.device_hash_for(survey=survey, device_key=device)).exists()
    state = services.survey_open_state(survey=survey)
    errors: dict = {}
    error, status = "", 200
    given: dict = {}
    if request.method == "POST":
        given = _answers_from_post(survey, request.POST)
        try:
            _response, _created = services.survey_answer(
                code=survey.code, answers=given, device_key=device or None,
                idempotency_key=request.POST.get("idempotency_key"), source_key=services.source_key_for(ip=_ip(request)))
            return redirect("outreach:survey_thanks", code=survey.code)
        except ApplicationError as exc:
            status = exc.status
            if exc.code == "invalid_answers" and isinstance(exc.details, dict):
                errors = {k: v for k, v in exc.details.items()}
                error = _("Please check the marked answers.")
            else:
                error = exc.message
            if exc.code == "already_answered":
                answered = True
    questions = []
    for q in survey.questions:
        value = given.get(q["id"])
        questions.append({**q, "error": errors.get(q["id"], ""),
                          "value": value if isinstance(value, list) else ([] if value is None else [str(value)])})
    context = {"survey": survey, "questions": questions, "state": state, "answered": answered, "error": error,
               "idempotency_key": request.POST.get("idempotency_key") or new_idempotency_key(), "stars": range(1, 6)}
    response = render(request, "outreach/survey.html", context, status=status)
    if not device:
        response.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(18), max_age=DEVICE_COOKIE_AGE, httponly=True,
                            samesite="Lax", secure=request.is_secure())
    return response


def survey_thanks(request, code: str):
    try:
        survey = selectors.public_survey(code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "outreach/survey_thanks.html", {"survey": survey})


# --- Riders: the convention --------------------------------------------------------------------------------

def convention_page(request):
    jurisdiction = _public_jurisdiction(request)
    current = selectors.current_convention(jurisdiction=jurisdiction)
    form = ConventionSignForm(request.POST or None, initial={"version": current.number if current else 0})
    error, status = "", 200
    if request.method == "POST":
        status = 422
        if current is None:
            raise Http404("No convention has been published yet.")
        if form.is_valid():
            try:
                signoff, created = services.convention_sign(
                    jurisdiction=jurisdiction, version_number=form.cleaned_data["version"],
                    name=form.cleaned_data["name"], phone=form.cleaned_data["phone"],
                    source_key=services.source_key_for(ip=_ip(request)))
                messages.success(request, _("Thank you, %(name)s: you have signed the convention.")
                                 % {"name": mask_name(signoff.name)} if created else
                                 _("This phone has already signed this version of the convention."))
                return redirect("outreach:convention")
            except ApplicationError as exc:
                error, status = _form_error(form, exc), exc.status
    context = {"jurisdiction": jurisdiction, "convention": current, "form": form, "error": error,
               "signed": current.signoffs.count() if current else 0}
    return render(request, "outreach/convention.html", context, status=status)


# --- Staff -------------------------------------------------------------------------------------------------

def _staff(request, *, manage: bool = True):
    try:
        return services.staff_jurisdiction(user=request.user, manage=manage)
    except ApplicationError as exc:
        raise DjangoPermissionDenied(exc.message) from exc


def _get_or_404(fn, **kwargs):
    try:
        return fn(**kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
def staff_home(request):
    jurisdiction = _staff(request, manage=False)
    context = {"services": list(selectors.services_for_staff(jurisdiction=jurisdiction)),
               "events": list(selectors.events_for_staff(jurisdiction=jurisdiction)[:50]),
               "surveys": list(selectors.surveys_for_staff(jurisdiction=jurisdiction)[:50]),
               "convention": selectors.current_convention(jurisdiction=jurisdiction),
               "riders": len(selectors.riders_for(jurisdiction=jurisdiction, user=request.user, active_only=True)),
               "can_manage": services.can_manage(request.user), "now": timezone.now()}
    return render(request, "outreach/staff/home.html", context)


@login_required
def service_edit(request, service_id: int | None = None):
    jurisdiction = _staff(request)
    service = None
    if service_id is not None:
        service = selectors.services_for_staff(jurisdiction=jurisdiction).filter(pk=service_id).first()
        if service is None:
            raise Http404("No such service.")
    form = ServiceForm(request.POST or None, instance=service)
    error, status = "", 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                fields = {k: form.cleaned_data[k] for k in services.SERVICE_FIELDS}
                if service is None:
                    services.service_create(jurisdiction=jurisdiction, actor=request.user, **fields)
                else:
                    services.service_update(service=service, actor=request.user, **fields)
                messages.success(request, _("The service is saved."))
                return redirect("outreach:staff")
            except ApplicationError as exc:
                error, status = exc.message, exc.status
    return render(request, "outreach/staff/service_form.html",
                  {"form": form, "service": service, "error": error}, status=status)


def _event_fields(form) -> dict:
    return {k: form.cleaned_data[k] for k in ("title", "place", "starts_at", "ends_at", "signup_closes_at", "capacity")}


@login_required
def event_new(request, service_id: int):
    jurisdiction = _staff(request)
    service = selectors.services_for_staff(jurisdiction=jurisdiction).filter(pk=service_id).first()
    if service is None:
        raise Http404("No such service.")
    form = EventForm(request.POST or None)
    error, status = "", 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                event = services.event_create(service=service, actor=request.user, **_event_fields(form))
                messages.success(request, _("The event is saved."))
                return redirect("outreach:staff_event", event_id=event.pk)
            except ApplicationError as exc:
                error, status = exc.message, exc.status
    return render(request, "outreach/staff/event_form.html",
                  {"form": form, "service": service, "event": None, "error": error}, status=status)


@login_required
def staff_event(request, event_id: int):
    """An event: its sign-ups (masked for viewers who do not run outreach) and, for staff, its settings."""
    jurisdiction = _staff(request, manage=False)
    event = _get_or_404(selectors.staff_event, jurisdiction=jurisdiction, event_id=event_id)
    manage = services.can_manage(request.user)
    form = EventForm(request.POST or None, instance=event) if manage else None
    error, status = "", 200
    if request.method == "POST":
        if not manage:
            raise DjangoPermissionDenied("Only outreach staff change events.")
        status = 422
        if form.is_valid():
            try:
                services.event_update(event=event, actor=request.user, **_event_fields(form))
                messages.success(request, _("The event is saved."))
                return redirect("outreach:staff_event", event_id=event.pk)
            except ApplicationError as exc:
                error, status = exc.message, exc.status
        event.refresh_from_db()
    context = {"event": event, "form": form, "error": error, "can_manage": manage,
               "signups": selectors.signups_for(event=event, user=request.user),
               "state": services.event_signup_state(event=event)}
    return render(request, "outreach/staff/event.html", context, status=status)


@login_required
def event_signups_csv(request, event_id: int):
    """Export of the sign-ups with names and phones: outreach staff only, and logged."""
    jurisdiction = _staff(request)
    event = _get_or_404(selectors.staff_event, jurisdiction=jurisdiction, event_id=event_id)
    rows = list(SignUp.objects.filter(event=event).order_by("created_at", "id"))
    services.export_log(jurisdiction=jurisdiction, actor=request.user, what=f"signups:event:{event.pk}", rows=len(rows))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="signups-{event.pk}.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 with a BOM
    writer = csv.writer(response)
    writer.writerow([_("Name"), _("Mobile phone"), _("Signed up at")])
    for s in rows:
        writer.writerow([s.name, s.phone, timezone.localtime(s.created_at).strftime("%Y-%m-%d %H:%M")])
    return response


@login_required
@require_POST
def signup_cancel(request, signup_id: int):
    jurisdiction = _staff(request)
    signup = SignUp.objects.filter(pk=signup_id, event__service__jurisdiction=jurisdiction).first()
    if signup is None:
        raise Http404("No such sign-up.")
    services.signup_cancel(signup_id=signup.pk, jurisdiction=jurisdiction, actor=request.user)
    messages.success(request, _("The sign-up is removed and its seat freed."))
    return redirect("outreach:staff_event", event_id=signup.event_id)


EXAMPLE_QUESTIONS = [
    {"id": "need", "type": "single", "label": "您最需要哪项服务？", "required": True,
     "options": ["免费体检", "心理咨询", "技能培训", "法律援助"]},
    {"id": "time", "type": "multiple", "label": "什么时间参加活动方便？", "options": ["上午", "下午", "晚上"]},
    {"id": "rating", "type": "rating", "label": "您对驿站服务满意吗？", "required": True},
    {"id": "advice", "type": "text", "label": "还有什么建议？", "max_length": 300},
]


@login_required
def survey_edit(request, survey_id: int | None = None):
    """The survey builder: title, window and the questions as JSON, with every problem shown."""
    jurisdiction = _staff(request)
    survey = _get_or_404(selectors.survey_for_staff, jurisdiction=jurisdiction, survey_id=survey_id) if survey_id else None
    initial = {"questions": json.dumps(survey.questions if survey else EXAMPLE_QUESTIONS, ensure_ascii=False, indent=2)}
    if survey:
        initial.update(title=survey.title, intro=survey.intro, opens_at=survey.opens_at, closes_at=survey.closes_at)
    form = SurveyForm(request.POST or None, initial=initial)
    error, problems, status = "", {}, 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            d = form.cleaned_data
            kwargs = {"title": d["title"], "intro": d["intro"], "questions": d["questions"], "opens_at": d["opens_at"],
                      "closes_at": d["closes_at"]}
            try:
                if survey is None:
                    survey = services.survey_create(jurisdiction=jurisdiction, actor=request.user, **kwargs)
                else:
                    survey = services.survey_update(survey=survey, actor=request.user, **kwargs)
                messages.success(request, _("The survey is saved."))
                return redirect("outreach:survey_edit", survey_id=survey.pk)
            except ApplicationError as exc:
                error, status = exc.message, exc.status
                if exc.code == "invalid_questions" and isinstance(exc.details, dict):
                    error, problems = _("The questions are not valid:"), exc.details
    context = {"form": form, "survey": survey, "error": error, "problems": problems,
               "public_url": request.build_absolute_uri(f"/survey/{survey.code}/") if survey else "",
               "open_state": services.survey_open_state(survey=survey) if survey else "",
               "responses": survey.responses.count() if survey else 0}
    return render(request, "outreach/staff/survey_form.html", context, status=status)


@login_required
@require_POST
def survey_act(request, survey_id: int, verb: str):
    jurisdiction = _staff(request)
    survey = _get_or_404(selectors.survey_for_staff, jurisdiction=jurisdiction, survey_id=survey_id)
    if verb == "copy":
        copy = services.survey_copy(survey=survey, actor=request.user)
        messages.success(request, _("A new draft with the same questions is made: edit it and publish it."))
        return redirect("outreach:survey_edit", survey_id=copy.pk)
    try:
        services.survey_transition(survey=survey, actor=request.user, action=verb)
        messages.success(request, _("The survey is now: %(status)s.")
                         % {"status": Survey.objects.get(pk=survey.pk).get_status_display()})
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("outreach:survey_edit", survey_id=survey.pk)


@login_required
def survey_results(request, survey_id: int):
    jurisdiction = _staff(request, manage=False)
    survey = _get_or_404(selectors.survey_for_staff, jurisdiction=jurisdiction, survey_id=survey_id)
    results = selectors.survey_results(survey=survey, user=request.user)
    return render(request, "outreach/staff/results.html", {"survey": survey, "results": results,
                                                            "can_manage": services.can_manage(request.user)})


@login_required
def convention_edit(request):
    jurisdiction = _staff(request)
    current = selectors.current_convention(jurisdiction=jurisdiction)
    initial = {"title": current.title, "text": current.text} if current else {}
    form = ConventionForm(request.POST or None, initial=initial)
    error, status = "", 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                version = services.convention_publish(jurisdiction=jurisdiction, actor=request.user,
                                                      title=form.cleaned_data["title"], text=form.cleaned_data["text"])
                messages.success(request, _("Version %(n)s of the convention is published.") % {"n": version.number})
                return redirect("outreach:convention_edit")
            except ApplicationError as exc:
                error, status = exc.message, exc.status
    versions = list(jurisdiction.outreach_conventions.order_by("-number")[:20])
    return render(request, "outreach/staff/convention_form.html",
                  {"form": form, "current": current, "versions": versions, "error": error}, status=status)


@login_required
def riders_page(request):
    jurisdiction = _staff(request, manage=False)
    manage = services.can_manage(request.user)
    form = RiderForm(request.POST or None) if manage else None
    error, status = "", 200
    if request.method == "POST":
        if not manage:
            raise DjangoPermissionDenied("Only outreach staff change the riders list.")
        status = 422
        if form.is_valid():
            try:
                services.rider_add(jurisdiction=jurisdiction, actor=request.user, **form.cleaned_data)
                messages.success(request, _("The rider is added."))
                return redirect("outreach:riders")
            except ApplicationError as exc:
                error, status = _form_error(form, exc), exc.status
    context = {"riders": selectors.riders_for(jurisdiction=jurisdiction, user=request.user), "form": form,
               "error": error, "can_manage": manage}
    return render(request, "outreach/staff/riders.html", context, status=status)


@login_required
@require_POST
def rider_active(request, rider_id: int):
    jurisdiction = _staff(request)
    try:
        services.rider_set_active(jurisdiction=jurisdiction, actor=request.user, rider_id=rider_id,
                                  active=request.POST.get("active") == "1")
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return redirect("outreach:riders")
