"""Outreach reads: the public catalogue, staff lists (masked unless the viewer manages outreach), survey
results aggregated per question."""

from __future__ import annotations

from collections import Counter

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.errors import NotFound
from wangge.core.models import Jurisdiction
from wangge.core.privacy import mask_name, mask_phone
from wangge.outreach.models import (
    ConventionVersion,
    Event,
    GovernanceRider,
    Service,
    SignUp,
    Survey,
    SurveyResponse,
)
from wangge.outreach.services import can_manage

RECENT_TEXT_ANSWERS = 20


def catalogue(*, jurisdiction: Jurisdiction) -> list[Service]:
    """Active services, in the staff's order, each with its upcoming events (as `upcoming`)."""
    upcoming = Event.objects.filter(starts_at__gt=timezone.now()).order_by("starts_at", "id")
    return list(Service.objects.filter(jurisdiction=jurisdiction, active=True)
                .prefetch_related(Prefetch("events", queryset=upcoming, to_attr="upcoming"))
                .order_by("order", "id"))


def services_for_staff(*, jurisdiction: Jurisdiction) -> QuerySet[Service]:
    return (Service.objects.filter(jurisdiction=jurisdiction).annotate(n_events=Count("events"))
            .order_by("-active", "order", "id"))


def events_for_staff(*, jurisdiction: Jurisdiction) -> QuerySet[Event]:
    return Event.objects.filter(service__jurisdiction=jurisdiction).select_related("service").order_by("-starts_at", "id")


def public_event(*, event_id: int, jurisdiction: Jurisdiction | None = None) -> Event:
    qs = Event.objects.select_related("service").filter(pk=event_id, service__active=True)
    if jurisdiction is not None:
        qs = qs.filter(service__jurisdiction=jurisdiction)
    event = qs.first()
    if event is None:
        raise NotFound(_("Event %(id)s not found.") % {"id": event_id})
    return event


def staff_event(*, jurisdiction: Jurisdiction, event_id: int) -> Event:
    event = Event.objects.select_related("service").filter(pk=event_id, service__jurisdiction=jurisdiction).first()
    if event is None:
        raise NotFound(_("Event %(id)s not found.") % {"id": event_id})
    return event


def person_out(*, name: str, phone: str, user) -> dict:
    """Name and phone as this viewer may see them: in full for outreach staff, masked for anyone else."""
    if can_manage(user):
        return {"name": name, "phone": phone, "masked": False}
    return {"name": mask_name(name), "phone": mask_phone(phone), "masked": True}


def signups_for(*, event: Event, user) -> list[dict]:
    return [{"id": s.pk, "created_at": s.created_at, **person_out(name=s.name, phone=s.phone, user=user)}
            for s in SignUp.objects.filter(event=event).order_by("created_at", "id")]


def riders_for(*, jurisdiction: Jurisdiction, user, active_only: bool = False) -> list[dict]:
    qs = GovernanceRider.objects.filter(jurisdiction=jurisdiction)
    if active_only:
        qs = qs.filter(active=True)
    current = current_convention(jurisdiction=jurisdiction)
    signed = set(current.signoffs.values_list("phone", flat=True)) if current else set()
    return [{"id": r.pk, "platform": r.platform, "role": r.role, "role_label": r.get_role_display(),
             "active_since": r.active_since, "active": r.active, "note": r.note,
             "signed_convention": r.phone in signed, **person_out(name=r.name, phone=r.phone, user=user)}
            for r in qs.order_by("-active", "active_since", "id")]


def survey_for_staff(*, jurisdiction: Jurisdiction, survey_id: int) -> Survey:
    survey = Survey.objects.filter(jurisdiction=jurisdiction, pk=survey_id).first()
    if survey is None:
        raise NotFound(_("Survey %(id)s not found.") % {"id": survey_id})
    return survey


def public_survey(*, code: str) -> Survey:
    """A survey riders may see: published or closed, never a draft."""
    survey = Survey.objects.filter(code=(code or "").strip().lower()).exclude(status="draft").first()
    if survey is None:
        raise NotFound(_("No published survey has this code."), code="survey_not_published")
    return survey


def open_surveys(*, jurisdiction: Jurisdiction) -> list[Survey]:
    """Published surveys riders can answer now (inside their window)."""
    now = timezone.now()
    return list(Survey.objects.filter(jurisdiction=jurisdiction, status="published")
                .filter(Q(opens_at__isnull=True) | Q(opens_at__lte=now))
                .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now)).order_by("-id"))


def surveys_for_staff(*, jurisdiction: Jurisdiction) -> QuerySet[Survey]:
    return Survey.objects.filter(jurisdiction=jurisdiction).annotate(n_responses=Count("responses"))


def survey_results(*, survey: Survey, user) -> dict:
    """Per question: counts per option (choices), per star (ratings, with the mean), or the number of text
    answers (and, for outreach staff only, the latest ones: free text may name people)."""
    answers = list(SurveyResponse.objects.filter(survey=survey).values_list("answers", flat=True))
    total = len(answers)
    out = []
    for q in survey.questions:
        qid, qtype = q["id"], q["type"]
        given = [a[qid] for a in answers if isinstance(a, dict) and a.get(qid) not in (None, "", [])]
        item = {"id": qid, "type": qtype, "label": q["label"], "required": q.get("required", False),
                "answered": len(given)}
        if qtype in ("single", "multiple"):
            counts: Counter = Counter()
            for v in given:
                counts.update(v if isinstance(v, list) else [v])
            item["options"] = [{"option": o, "count": counts.get(o, 0)} for o in q["options"]]
        elif qtype == "rating":
            counts = Counter(v for v in given if isinstance(v, int))
            item["options"] = [{"option": str(n), "count": counts.get(n, 0)} for n in range(1, 6)]
            n = sum(counts.values())
            item["mean"] = round(sum(k * c for k, c in counts.items()) / n, 2) if n else None
        else:
            item["texts"] = [str(v) for v in given[-RECENT_TEXT_ANSWERS:]][::-1] if can_manage(user) else []
        out.append(item)
    return {"survey": survey.code, "title": survey.title, "status": survey.status, "responses": total,
            "questions": out}


def current_convention(*, jurisdiction: Jurisdiction) -> ConventionVersion | None:
    return ConventionVersion.objects.filter(jurisdiction=jurisdiction).order_by("-number").first()
