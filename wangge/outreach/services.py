"""Outreach services: every write of the outreach tables goes through here (typed, keyword-only, atomic).

Riders need no account: sign-ups, survey answers and convention sign-offs are public, so each is checked
precisely (phone format, sign-up window, seats, answers against the questions) and throttled per source."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.accounts.models import Role
from wangge.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, Throttled
from wangge.core.models import Jurisdiction
from wangge.core.phones import mobile_normalize
from wangge.core.throttle import rate_setting, source_key_hash
from wangge.outreach.models import (
    ConventionSignOff,
    ConventionVersion,
    Event,
    ExportLog,
    GovernanceRider,
    GovernanceRole,
    Service,
    ServiceKind,
    SignUp,
    Survey,
    SurveyResponse,
    SurveyStatus,
)

# Who runs outreach: union staff and the street's operations centre. The street leader reads (masked).
MANAGER_ROLES = (Role.UNION_STAFF, Role.OPERATOR, Role.ADMIN)
VIEWER_ROLES = MANAGER_ROLES + (Role.LEADER,)

QUESTION_TYPES = ("single", "multiple", "rating", "text")
MAX_QUESTIONS = 50
MAX_OPTIONS = 20
TEXT_MAX_DEFAULT = 500
TEXT_MAX_LIMIT = 2000
QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


# --- Who may do what ---------------------------------------------------------------------------------------

def can_manage(user) -> bool:
    """Runs the catalogue, surveys, convention and riders; sees personal data unmasked."""
    return bool(getattr(user, "is_authenticated", False)) and (user.is_superuser or user.role in MANAGER_ROLES)


def can_view(user) -> bool:
    """May read the staff pages; personal data is masked unless can_manage."""
    return bool(getattr(user, "is_authenticated", False)) and (user.is_superuser or user.role in VIEWER_ROLES)


def staff_jurisdiction(*, user, manage: bool = True) -> Jurisdiction:
    from wangge.grids.selectors import jurisdiction_for_user

    if not (can_manage(user) if manage else can_view(user)):
        raise PermissionDenied(_("Only union staff and the street's operations centre run rider outreach."))
    return jurisdiction_for_user(user)


# --- Small checks ------------------------------------------------------------------------------------------

phone_normalize = mobile_normalize  # a mainland mobile number (core.phones)


def _name_clean(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ApplicationError(_("Enter your name."), code="name_required")
    if len(name) > 50:
        raise ApplicationError(_("The name is longer than 50 characters."), code="name_too_long")
    return name


def source_key_for(*, ip: str = "", user=None) -> str:
    """A keyed hash of where a request came from (the IP itself is not stored)."""
    return source_key_hash(scope="outreach", ip=ip, user=user)


def device_hash_for(*, survey: Survey, device_key: str | None) -> str | None:
    """One answer per device and survey: a keyed hash of the device cookie (the cookie value is not stored)."""
    device_key = (device_key or "").strip()
    if not device_key:
        return None
    return hashlib.sha256(f"{settings.SECRET_KEY}|device|{survey.pk}|{device_key[:200]}".encode()).hexdigest()


def _throttle(model, source_key: str, field: str = "created_at") -> None:
    if not source_key:
        return
    limit, seconds = rate_setting("WANGGE_OUTREACH_RATE", "60/600")
    since = timezone.now() - timedelta(seconds=seconds)
    if model.objects.filter(source_key=source_key, **{f"{field}__gte": since}).count() >= limit:
        raise Throttled(_("Too many submissions from one place: at most %(limit)s in %(minutes)s minutes. "
                          "Try again later.") % {"limit": limit, "minutes": max(1, seconds // 60)}, details={"limit": limit, "window_seconds": seconds})


def _full_clean(obj) -> None:
    from django.core.exceptions import ValidationError

    try:
        obj.full_clean()
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        text = "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in fields.items())
        raise ApplicationError(_("Not saved: %(text)s") % {"text": text}, code="invalid", details=fields) from exc


# --- Services (the catalogue) ------------------------------------------------------------------------------

SERVICE_FIELDS = ("kind", "title", "description", "provider", "how_to_use", "active", "order")


@transaction.atomic
def service_create(*, jurisdiction: Jurisdiction, actor, kind: str, title: str, description: str = "",
                   provider: str = "", how_to_use: str = "", active: bool = True, order: int = 0) -> Service:
    if kind not in ServiceKind.values:
        raise ApplicationError(_("Unknown kind of service: %(kind)s.") % {"kind": kind}, code="invalid_kind")
    service = Service(jurisdiction=jurisdiction, kind=kind, title=title.strip(), description=description.strip(),
                      provider=provider.strip(), how_to_use=how_to_use.strip(), active=active, order=order)
    _full_clean(service)
    service.save()
    return service


@transaction.atomic
def service_update(*, service: Service, actor, **fields) -> Service:
    unknown = set(fields) - set(SERVICE_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}, code="invalid")
    service = Service.objects.select_for_update().get(pk=service.pk)
    for name, value in fields.items():
        setattr(service, name, value.strip() if isinstance(value, str) else value)
    _full_clean(service)
    service.save()
    return service


# --- Events and sign-ups -----------------------------------------------------------------------------------

def _check_event_times(*, starts_at: datetime, ends_at: datetime, signup_closes_at: datetime | None) -> None:
    if ends_at < starts_at:
        raise ApplicationError(_("The event cannot end before it starts."), code="invalid_times")
    if signup_closes_at is not None and signup_closes_at > starts_at:
        raise ApplicationError(_("Sign-up must close before the event starts."), code="invalid_times")


@transaction.atomic
def event_create(*, service: Service, actor, title: str, place: str, starts_at: datetime, ends_at: datetime,
                 capacity: int, signup_closes_at: datetime | None = None) -> Event:
    _check_event_times(starts_at=starts_at, ends_at=ends_at, signup_closes_at=signup_closes_at)
    if capacity < 1:
        raise ApplicationError(_("An event needs at least one seat."), code="invalid_capacity")
    event = Event(service=service, title=title.strip(), place=place.strip(), starts_at=starts_at, ends_at=ends_at,
                  capacity=capacity, signup_closes_at=signup_closes_at)
    _full_clean(event)
    event.save()
    return event


@transaction.atomic
def event_update(*, event: Event, actor, title: str, place: str, starts_at: datetime, ends_at: datetime,
                 capacity: int, signup_closes_at: datetime | None = None) -> Event:
    _check_event_times(starts_at=starts_at, ends_at=ends_at, signup_closes_at=signup_closes_at)
    event = Event.objects.select_for_update().get(pk=event.pk)
    if capacity < max(1, event.seats_taken):
        raise Conflict(_("%(n)s riders have signed up: the capacity cannot be less than that.") % {"n": event.seats_taken},
                       code="capacity_below_signups")
    event.title, event.place, event.starts_at, event.ends_at = title.strip(), place.strip(), starts_at, ends_at
    event.capacity, event.signup_closes_at = capacity, signup_closes_at
    _full_clean(event)
    event.save()
    return event


def event_signup_state(*, event: Event, now: datetime | None = None) -> str:
    """open / full / closed (sign-up deadline passed) / started / inactive (the service was withdrawn)."""
    now = now or timezone.now()
    if not event.service.active:
        return "inactive"
    if now >= event.starts_at:
        return "started"
    if event.signup_closes_at is not None and now >= event.signup_closes_at:
        return "closed"
    if event.seats_taken >= event.capacity:
        return "full"
    return "open"


def event_signup(*, event_id: int, jurisdiction: Jurisdiction | None = None, name: str, phone: str,
                 source_key: str = "") -> tuple[SignUp, bool]:
    """Take one seat. Returns (sign-up, created): the same phone again returns the existing sign-up.

    The seat is taken by a conditional UPDATE (seats_taken < capacity) in the same transaction as the
    insert: two riders racing for the last seat are serialised by the row lock (PostgreSQL) or the one
    write lock (SQLite); the loser's UPDATE matches no row and gets a 409, nothing written."""
    phone = phone_normalize(phone)
    name = _name_clean(name)
    qs = Event.objects.select_related("service")
    if jurisdiction is not None:
        qs = qs.filter(service__jurisdiction=jurisdiction)
    event = qs.filter(pk=event_id).first()
    if event is None:
        raise NotFound(_("Event %(id)s not found.") % {"id": event_id})
    existing = SignUp.objects.filter(event=event, phone=phone).first()
    if existing is not None:
        return existing, False
    state = event_signup_state(event=event)
    if state == "inactive":
        raise NotFound(_("This service is no longer offered."), code="service_inactive")
    if state == "started":
        raise Conflict(_("The event has already started: sign-up is closed."), code="event_started")
    if state == "closed":
        raise Conflict(_("Sign-up for this event has closed."), code="signup_closed")
    if state == "full":
        raise Conflict(_("The event is full: every seat is taken."), code="event_full")
    _throttle(SignUp, source_key)
    try:
        with transaction.atomic():
            now = timezone.now()
            taken = (Event.objects.filter(Q(signup_closes_at__isnull=True) | Q(signup_closes_at__gt=now),
                                          pk=event.pk, seats_taken__lt=F("capacity"), starts_at__gt=now)
                     .update(seats_taken=F("seats_taken") + 1))
            if not taken:
                raise Conflict(_("The event is full: the last seat was just taken."), code="event_full")
            signup = SignUp.objects.create(event=event, name=name, phone=phone, source_key=source_key)
    except IntegrityError:
        # The same phone signed up at the same moment from elsewhere: that sign-up is the one.
        existing = SignUp.objects.filter(event=event, phone=phone).first()
        if existing is None:
            raise
        return existing, False
    return signup, True


@transaction.atomic
def signup_cancel(*, signup_id: int, jurisdiction: Jurisdiction, actor) -> None:
    """Staff remove a sign-up (a rider called to cancel): the seat is freed."""
    signup = SignUp.objects.select_related("event").filter(pk=signup_id,
                                                          event__service__jurisdiction=jurisdiction).first()
    if signup is None:
        raise NotFound(_("Sign-up %(id)s not found.") % {"id": signup_id})
    Event.objects.filter(pk=signup.event_id, seats_taken__gt=0).update(seats_taken=F("seats_taken") - 1)
    signup.delete()


# --- Surveys -----------------------------------------------------------------------------------------------

def questions_validate(questions) -> list[dict]:
    """Check and normalise survey questions. Raises ApplicationError(code="invalid_questions") with one
    message per problem in `details` ({"q1.options": "…"}). Ids are assigned (q1, q2 …) where missing."""
    errors: dict[str, str] = {}
    if not isinstance(questions, list) or not questions:
        raise ApplicationError(_("A survey needs a list of at least one question."), code="invalid_questions",
                               details={"questions": _("Expected a non-empty list.")})
    if len(questions) > MAX_QUESTIONS:
        message = _("At most %(n)s questions.") % {"n": MAX_QUESTIONS}
        raise ApplicationError(message, code="invalid_questions", details={"questions": message})
    clean: list[dict] = []
    seen: set[str] = set()
    for i, q in enumerate(questions, start=1):
        where = f"#{i}"
        if not isinstance(q, dict):
            errors[where] = _("Each question is an object with type, label and (for choices) options.")
            continue
        qid = str(q.get("id") or f"q{i}")
        where = qid
        if not QUESTION_ID.match(qid):
            errors[f"#{i}.id"] = _("An id is a lower-case letter followed by letters, digits or _, up to 32.")
        elif qid in seen:
            errors[f"{qid}.id"] = _("This id is used by another question.")
        seen.add(qid)
        qtype = q.get("type")
        label = q.get("label")
        if qtype not in QUESTION_TYPES:
            errors[f"{where}.type"] = _("type must be one of %(types)s.") % {"types": ", ".join(QUESTION_TYPES)}
        if not isinstance(label, str) or not label.strip() or len(label) > 200:
            errors[f"{where}.label"] = _("label is the question's text, 1–200 characters.")
        required = q.get("required", False)
        if not isinstance(required, bool):
            errors[f"{where}.required"] = _("required is true or false.")
        item = {"id": qid, "type": qtype, "label": label.strip() if isinstance(label, str) else label,
                "required": bool(required)}
        if qtype in ("single", "multiple"):
            options = q.get("options")
            if (not isinstance(options, list) or not 2 <= len(options) <= MAX_OPTIONS
                    or not all(isinstance(o, str) and o.strip() and len(o) <= 100 for o in options)):
                errors[f"{where}.options"] = _("options is a list of 2–%(n)s texts of up to 100 characters.") % {"n": MAX_OPTIONS}
            elif len({o.strip() for o in options}) != len(options):
                errors[f"{where}.options"] = _("Two options have the same text.")
            else:
                item["options"] = [o.strip() for o in options]
        elif "options" in q and q.get("options"):
            errors[f"{where}.options"] = _("Only single and multiple choice questions have options.")
        if qtype == "text":
            max_length = q.get("max_length", TEXT_MAX_DEFAULT)
            if not isinstance(max_length, int) or isinstance(max_length, bool) or not 1 <= max_length <= TEXT_MAX_LIMIT:
                errors[f"{where}.max_length"] = _("max_length is a whole number from 1 to %(n)s.") % {"n": TEXT_MAX_LIMIT}
            else:
                item["max_length"] = max_length
        extra = set(q) - {"id", "type", "label", "required", "options", "max_length"}
        if extra:
            errors[f"{where}.fields"] = _("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(extra))}
        clean.append(item)
    if errors:
        raise ApplicationError(_("The questions are not valid:") + " " + "; ".join(f"{k}: {v}" for k, v in errors.items()),
                               code="invalid_questions", details=errors)
    return clean


def _survey_fields(*, title: str, intro: str, opens_at, closes_at) -> tuple[str, str]:
    title = " ".join((title or "").split())
    if not title or len(title) > 100:
        raise ApplicationError(_("A survey needs a title of 1–100 characters."), code="invalid_title")
    if opens_at and closes_at and closes_at <= opens_at:
        raise ApplicationError(_("The survey must close after it opens."), code="invalid_window")
    return title, (intro or "").strip()[:2000]


@transaction.atomic
def survey_create(*, jurisdiction: Jurisdiction, actor, title: str, intro: str = "", questions: list,
                  opens_at: datetime | None = None, closes_at: datetime | None = None) -> Survey:
    title, intro = _survey_fields(title=title, intro=intro, opens_at=opens_at, closes_at=closes_at)
    survey = Survey(jurisdiction=jurisdiction, title=title, intro=intro, questions=questions_validate(questions),
                    opens_at=opens_at, closes_at=closes_at, created_by=actor if getattr(actor, "pk", None) else None)
    survey.save()
    return survey


@transaction.atomic
def survey_update(*, survey: Survey, actor, title: str, intro: str = "", questions: list,
                  opens_at: datetime | None = None, closes_at: datetime | None = None) -> Survey:
    """Questions change only while the survey is a draft: answers already given must keep their meaning."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    title, intro = _survey_fields(title=title, intro=intro, opens_at=opens_at, closes_at=closes_at)
    clean = questions_validate(questions)
    if survey.status != SurveyStatus.DRAFT and clean != survey.questions:
        raise Conflict(_("The questions of a published survey cannot change; copy it into a new draft instead."),
                       code="survey_not_draft")
    survey.title, survey.intro, survey.questions = title, intro, clean
    survey.opens_at, survey.closes_at = opens_at, closes_at
    survey.save()
    return survey


SURVEY_ACTION_LABELS = {"publish": gettext_lazy("published"), "close": gettext_lazy("closed"),
                        "reopen": gettext_lazy("reopened")}
SURVEY_MOVES = {"publish": (SurveyStatus.DRAFT, SurveyStatus.PUBLISHED),
                "close": (SurveyStatus.PUBLISHED, SurveyStatus.CLOSED),
                "reopen": (SurveyStatus.CLOSED, SurveyStatus.PUBLISHED)}


@transaction.atomic
def survey_transition(*, survey: Survey, actor, action: str) -> Survey:
    if action not in SURVEY_MOVES:
        raise NotFound(_("Unknown survey action %(action)s: publish, close or reopen.") % {"action": action})
    source, target = SURVEY_MOVES[action]
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.status != source:
        raise Conflict(_("The survey is %(status)s: it cannot be %(action)s.")
                       % {"status": survey.get_status_display(), "action": SURVEY_ACTION_LABELS[action]},
                       code="illegal_transition")
    if target == SurveyStatus.PUBLISHED:
        questions_validate(survey.questions)
    survey.status = target
    survey.save(update_fields=["status", "updated_at"])
    return survey


@transaction.atomic
def survey_copy(*, survey: Survey, actor) -> Survey:
    """A new draft with the same questions: how a published survey's questions get changed."""
    return Survey.objects.create(jurisdiction=survey.jurisdiction, title=survey.title, intro=survey.intro,
                                 questions=survey.questions, created_by=actor if getattr(actor, "pk", None) else None)


def survey_open_state(*, survey: Survey, now: datetime | None = None) -> str:
    """open / draft / closed / not_yet / ended."""
    now = now or timezone.now()
    if survey.status == SurveyStatus.DRAFT:
        return "draft"
    if survey.status == SurveyStatus.CLOSED:
        return "closed"
    if survey.opens_at and now < survey.opens_at:
        return "not_yet"
    if survey.closes_at and now >= survey.closes_at:
        return "ended"
    return "open"


def answers_validate(*, questions: list[dict], answers) -> dict:
    """Check answers against the questions; returns the normalised answers (only answered questions).
    Raises ApplicationError(code="invalid_answers") with details {question id: message}."""
    if not isinstance(answers, dict):
        raise ApplicationError(_("Answers are an object of question id → answer."), code="invalid_answers",
                               details={"answers": _("Expected an object.")})
    by_id = {q["id"]: q for q in questions}
    errors: dict[str, str] = {}
    clean: dict = {}
    for key in answers:
        if key not in by_id:
            errors[str(key)[:40]] = _("There is no such question in this survey.")
    for qid, q in by_id.items():
        value = answers.get(qid)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, "", []):
            if q.get("required"):
                errors[qid] = _("This question needs an answer.")
            continue
        qtype = q["type"]
        if qtype == "single":
            if not isinstance(value, str) or value not in q["options"]:
                errors[qid] = _("Pick one of the offered options.")
            else:
                clean[qid] = value
        elif qtype == "multiple":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors[qid] = _("Pick one or more of the offered options.")
            elif any(v not in q["options"] for v in value):
                errors[qid] = _("One of the picked options is not offered.")
            elif len(set(value)) != len(value):
                errors[qid] = _("An option is picked twice.")
            else:
                clean[qid] = [o for o in q["options"] if o in value]
        elif qtype == "rating":
            if isinstance(value, str) and value.isdigit():
                value = int(value)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
                errors[qid] = _("A rating is a whole number from 1 to 5.")
            else:
                clean[qid] = value
        elif qtype == "text":
            limit = q.get("max_length", TEXT_MAX_DEFAULT)
            if not isinstance(value, str):
                errors[qid] = _("The answer is text.")
            elif len(value) > limit:
                errors[qid] = _("The answer is longer than %(n)s characters.") % {"n": limit}
            else:
                clean[qid] = value
    if errors:
        raise ApplicationError(_("Some answers do not fit the questions:") + " "
                               + "; ".join(f"{k}: {v}" for k, v in errors.items()),
                               code="invalid_answers", details=errors)
    return clean


def survey_answer(*, code: str, answers, device_key: str | None = None, idempotency_key: str | None = None,
                  source_key: str = "") -> tuple[SurveyResponse, bool]:
    """Record one rider's answers. Returns (response, created): the same idempotency key returns the first
    response; a second answer from the same device is refused (409)."""
    survey = Survey.objects.filter(code=(code or "").strip().lower()).first()
    if survey is None or survey.status == SurveyStatus.DRAFT:
        raise NotFound(_("No published survey has this code."), code="survey_not_published")
    idempotency_key = (idempotency_key or "").strip()[:80] or None
    if idempotency_key:
        seen = SurveyResponse.objects.filter(survey=survey, idempotency_key=idempotency_key).first()
        if seen is not None:
            return seen, False
    state = survey_open_state(survey=survey)
    if state in ("closed", "ended"):
        raise Conflict(_("This survey is closed: answers are no longer taken."), code="survey_closed")
    if state == "not_yet":
        raise Conflict(_("This survey is not open yet."), code="survey_not_open")
    clean = answers_validate(questions=survey.questions, answers=answers)
    if not clean:
        raise ApplicationError(_("Answer at least one question."), code="invalid_answers",
                               details={"answers": _("Answer at least one question.")})
    device_hash = device_hash_for(survey=survey, device_key=device_key)
    if device_hash and SurveyResponse.objects.filter(survey=survey, device_hash=device_hash).exists():
        raise Conflict(_("This device has already answered this survey. Thank you!"), code="already_answered")
    _throttle(SurveyResponse, source_key)
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(survey=survey, answers=clean, device_hash=device_hash,
                                                     idempotency_key=idempotency_key, source_key=source_key)
    except IntegrityError as exc:
        if idempotency_key:
            seen = SurveyResponse.objects.filter(survey=survey, idempotency_key=idempotency_key).first()
            if seen is not None:
                return seen, False
        if device_hash and SurveyResponse.objects.filter(survey=survey, device_hash=device_hash).exists():
            raise Conflict(_("This device has already answered this survey. Thank you!"),
                           code="already_answered") from exc
        raise
    return response, True


# --- The convention and the riders in governance -----------------------------------------------------------

@transaction.atomic
def convention_publish(*, jurisdiction: Jurisdiction, actor, title: str, text: str) -> ConventionVersion:
    """A new version of the convention; earlier versions stay (and their sign-offs with them)."""
    title = " ".join((title or "").split())
    text = (text or "").strip()
    if not title or len(title) > 100:
        raise ApplicationError(_("The convention needs a title of 1–100 characters."), code="invalid_title")
    if len(text) < 10:
        raise ApplicationError(_("The convention text is empty or too short."), code="text_required")
    if len(text) > 20000:
        raise ApplicationError(_("The convention text is longer than 20,000 characters."), code="text_too_long")
    # Lock the street's row: two staff publishing at once get numbers n and n+1, never the same.
    Jurisdiction.objects.select_for_update().filter(pk=jurisdiction.pk).first()
    current = ConventionVersion.objects.filter(jurisdiction=jurisdiction).order_by("-number").first()
    if current is not None and current.text == text and current.title == title:
        raise Conflict(_("The text is the same as the version in force."), code="unchanged")
    return ConventionVersion.objects.create(
        jurisdiction=jurisdiction, number=(current.number + 1) if current else 1, title=title, text=text,
        published_at=timezone.now(), published_by=actor if getattr(actor, "pk", None) else None)


def convention_sign(*, jurisdiction: Jurisdiction, version_number: int, name: str, phone: str,
                    source_key: str = "") -> tuple[ConventionSignOff, bool]:
    phone = phone_normalize(phone)
    name = _name_clean(name)
    current = ConventionVersion.objects.filter(jurisdiction=jurisdiction).order_by("-number").first()
    if current is None:
        raise NotFound(_("No convention has been published yet."))
    if current.number != version_number:
        raise Conflict(_("The convention has changed since you opened it: read the new text and sign again."),
                       code="stale_version")
    existing = ConventionSignOff.objects.filter(version=current, phone=phone).first()
    if existing is not None:
        return existing, False
    _throttle(ConventionSignOff, source_key, field="signed_at")
    try:
        with transaction.atomic():
            return ConventionSignOff.objects.create(version=current, name=name, phone=phone,
                                                    source_key=source_key), True
    except IntegrityError:
        return ConventionSignOff.objects.get(version=current, phone=phone), False


@transaction.atomic
def rider_add(*, jurisdiction: Jurisdiction, actor, name: str, phone: str, role: str, platform: str = "",
              active_since: date | None = None, note: str = "") -> GovernanceRider:
    phone = phone_normalize(phone)
    if role not in GovernanceRole.values:
        raise ApplicationError(_("Unknown role: %(role)s.") % {"role": role}, code="invalid_role")
    if GovernanceRider.objects.filter(jurisdiction=jurisdiction, phone=phone).exists():
        raise Conflict(_("A rider with this phone is already on the list."), code="duplicate_rider")
    rider = GovernanceRider(jurisdiction=jurisdiction, name=_name_clean(name), phone=phone, role=role,
                            platform=(platform or "").strip()[:30], active_since=active_since or timezone.localdate(),
                            note=(note or "").strip()[:200])
    _full_clean(rider)
    try:
        with transaction.atomic():
            rider.save()
    except IntegrityError as exc:
        raise Conflict(_("A rider with this phone is already on the list."), code="duplicate_rider") from exc
    return rider


@transaction.atomic
def rider_set_active(*, jurisdiction: Jurisdiction, actor, rider_id: int, active: bool) -> GovernanceRider:
    rider = GovernanceRider.objects.select_for_update().filter(jurisdiction=jurisdiction, pk=rider_id).first()
    if rider is None:
        raise NotFound(_("Rider %(id)s not found.") % {"id": rider_id})
    rider.active = active
    rider.save(update_fields=["active"])
    return rider


def export_log(*, jurisdiction: Jurisdiction, actor, what: str, rows: int) -> ExportLog:
    label = (actor.get_full_name() or actor.username) if getattr(actor, "pk", None) else "?"
    return ExportLog.objects.create(jurisdiction=jurisdiction, user=actor if getattr(actor, "pk", None) else None,
                                    user_label=label[:150], what=what[:100], rows=rows)
