"""Outreach over HTTP (/api/v1/outreach/…): riders read the catalogue, sign up to events and answer surveys
without an account; union staff and the operations centre read sign-ups, survey results and the riders list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from wangge.core.errors import NotFound
from wangge.core.privacy import mask_name, mask_phone
from wangge.intake.selectors import public_jurisdiction
from wangge.outreach import selectors, services
from wangge.outreach.models import Event, Service, SignUp, Survey

router = Router(tags=["outreach"])


class EventOut(Schema):
    id: int
    service_id: int
    service: str
    title: str
    place: str
    starts_at: datetime
    ends_at: datetime
    signup_closes_at: datetime | None
    capacity: int
    seats_left: int
    signup_state: str = Field(description="open / full / closed / started / inactive")


class ServiceOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    description: str
    provider: str
    how_to_use: str
    events: list[EventOut]


class SignUpIn(Schema):
    name: str = Field(..., max_length=200)
    phone: str = Field(..., max_length=40, description="an 11-digit mainland mobile number")


class SignUpOut(Schema):
    event_id: int
    name: str = Field(description="masked")
    phone: str = Field(description="masked")
    created_at: datetime
    created: bool = Field(description="false: this phone had already signed up (the existing sign-up)")


class QuestionOut(Schema):
    id: str
    type: str = Field(description="single / multiple / rating (1–5) / text")
    label: str
    required: bool
    options: list[str] | None = None
    max_length: int | None = None


class SurveyOut(Schema):
    code: str
    title: str
    intro: str
    status: str
    open_state: str = Field(description="open / closed / not_yet / ended")
    opens_at: datetime | None
    closes_at: datetime | None
    questions: list[QuestionOut]


class AnswerIn(Schema):
    answers: dict[str, Any] = Field(..., description="question id → option text, list of options, 1–5, or text")
    idempotency_key: str | None = Field(None, max_length=80)
    device_id: str | None = Field(None, max_length=200, description="a stable id of the device: one answer each")


class AnswerOut(Schema):
    survey: str
    created_at: datetime
    created: bool


class PersonRowOut(Schema):
    id: int
    name: str
    phone: str
    masked: bool
    created_at: datetime


class OptionCountOut(Schema):
    option: str
    count: int


class QuestionResultOut(Schema):
    id: str
    type: str
    label: str
    required: bool
    answered: int
    options: list[OptionCountOut] | None = None
    mean: float | None = None
    texts: list[str] | None = None


class ResultsOut(Schema):
    survey: str
    title: str
    status: str
    responses: int
    questions: list[QuestionResultOut]


class SurveyIn(Schema):
    title: str = Field(..., max_length=200)
    intro: str = Field("", max_length=2000)
    questions: list[Any]
    opens_at: datetime | None = None
    closes_at: datetime | None = None


class StaffSurveyOut(SurveyOut):
    id: int


class RiderOut(Schema):
    id: int
    name: str
    phone: str
    masked: bool
    platform: str
    role: str
    role_label: str
    active_since: date
    active: bool
    signed_convention: bool


def _ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def event_out(event: Event) -> dict:
    return {"id": event.pk, "service_id": event.service_id, "service": event.service.title, "title": event.title,
            "place": event.place, "starts_at": event.starts_at, "ends_at": event.ends_at,
            "signup_closes_at": event.signup_closes_at, "capacity": event.capacity, "seats_left": event.seats_left,
            "signup_state": services.event_signup_state(event=event)}


def service_out(service: Service) -> dict:
    for e in service.upcoming:
        e.service = service
    return {"id": service.pk, "kind": service.kind, "kind_label": service.get_kind_display(), "title": service.title,
            "description": service.description, "provider": service.provider, "how_to_use": service.how_to_use,
            "events": [event_out(e) for e in service.upcoming]}


def survey_out(survey: Survey) -> dict:
    return {"id": survey.pk, "code": survey.code, "title": survey.title, "intro": survey.intro, "status": survey.status,
            "open_state": services.survey_open_state(survey=survey), "opens_at": survey.opens_at,
            "closes_at": survey.closes_at, "questions": survey.questions}


def signup_out(signup: SignUp, created: bool) -> dict:
    return {"event_id": signup.event_id, "name": mask_name(signup.name), "phone": mask_phone(signup.phone),
            "created_at": signup.created_at, "created": created}


# --- Public (riders, no account) ---------------------------------------------------------------------------

@router.get("/outreach/services", auth=None, response=list[ServiceOut],
            summary="The 暖新十条 service catalogue with upcoming events (public)")
def services_list(request, jurisdiction: str | None = None):
    return [service_out(s) for s in selectors.catalogue(jurisdiction=public_jurisdiction(code=jurisdiction))]


@router.get("/outreach/events/{event_id}", auth=None, response=EventOut, summary="One event and its free seats")
def event_get(request, event_id: int):
    return event_out(selectors.public_event(event_id=event_id))


@router.post("/outreach/events/{event_id}/signups", auth=None, response={200: SignUpOut, 201: SignUpOut},
             summary="Sign up to an event (one seat per phone; 409 when full, closed or started)")
def event_signup(request, event_id: int, payload: SignUpIn):
    signup, created = services.event_signup(event_id=event_id, name=payload.name, phone=payload.phone,
                                            source_key=services.source_key_for(ip=_ip(request)))
    return Status(201 if created else 200, signup_out(signup, created))


@router.get("/outreach/surveys/{code}", auth=None, response=SurveyOut, summary="A published needs survey")
def survey_get(request, code: str):
    return survey_out(selectors.public_survey(code=code))


@router.post("/outreach/surveys/{code}/responses", auth=None, response={200: AnswerOut, 201: AnswerOut},
             summary="Answer a survey (anonymous; one answer per device, idempotent by key)")
def survey_answer(request, code: str, payload: AnswerIn):
    response, created = services.survey_answer(
        code=code, answers=payload.answers, device_key=payload.device_id or request.COOKIES.get("wg_device"),
        idempotency_key=payload.idempotency_key or request.headers.get("Idempotency-Key"),
        source_key=services.source_key_for(ip=_ip(request)))
    return Status(201 if created else 200, {"survey": response.survey.code, "created_at": response.created_at,
                                            "created": created})


# --- Staff (union staff, operators, admins; the street leader reads masked) --------------------------------

@router.get("/outreach/staff/events/{event_id}/signups", response=list[PersonRowOut],
            summary="Who signed up (names and phones masked unless you run outreach)")
def staff_signups(request, event_id: int):
    jurisdiction = services.staff_jurisdiction(user=request.user, manage=False)
    event = selectors.staff_event(jurisdiction=jurisdiction, event_id=event_id)
    return selectors.signups_for(event=event, user=request.user)


@router.get("/outreach/staff/surveys", response=list[StaffSurveyOut], summary="The street's surveys (staff)")
def staff_surveys(request):
    jurisdiction = services.staff_jurisdiction(user=request.user, manage=False)
    return [survey_out(s) for s in selectors.surveys_for_staff(jurisdiction=jurisdiction)]


@router.post("/outreach/staff/surveys", response={201: StaffSurveyOut}, summary="Create a draft survey (staff)")
def staff_survey_create(request, payload: SurveyIn):
    jurisdiction = services.staff_jurisdiction(user=request.user)
    survey = services.survey_create(jurisdiction=jurisdiction, actor=request.user, title=payload.title,
                                    intro=payload.intro, questions=payload.questions, opens_at=payload.opens_at,
                                    closes_at=payload.closes_at)
    return Status(201, survey_out(survey))


@router.post("/outreach/staff/surveys/{survey_id}/actions/{verb}", response=StaffSurveyOut,
             summary="publish / close / reopen a survey (staff)")
def staff_survey_action(request, survey_id: int, verb: str):
    jurisdiction = services.staff_jurisdiction(user=request.user)
    survey = selectors.survey_for_staff(jurisdiction=jurisdiction, survey_id=survey_id)
    return survey_out(services.survey_transition(survey=survey, actor=request.user, action=verb))


@router.get("/outreach/staff/surveys/{survey_id}/results", response=ResultsOut,
            summary="Survey results aggregated per question (staff)")
def staff_survey_results(request, survey_id: int):
    jurisdiction = services.staff_jurisdiction(user=request.user, manage=False)
    survey = selectors.survey_for_staff(jurisdiction=jurisdiction, survey_id=survey_id)
    return selectors.survey_results(survey=survey, user=request.user)


@router.get("/outreach/staff/riders", response=list[RiderOut],
            summary="Riders in community governance (names and phones masked unless you run outreach)")
def staff_riders(request, active: bool | None = None):
    jurisdiction = services.staff_jurisdiction(user=request.user, manage=False)
    return selectors.riders_for(jurisdiction=jurisdiction, user=request.user, active_only=bool(active))


__all__ = ["router", "NotFound"]
