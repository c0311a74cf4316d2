"""Cases in batches, for imports (the 12345 hotline's commit through intake's batch path): `case_report` and
`case_merge` for many cases at once, with the same checks, numbers, first events and notifications, in a few
statements whatever their number."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.cases import notify
from wangge.cases.models import Case, CaseCounter, CaseEvent, Category, Channel
from wangge.cases.services import DERIVED_COLUMNS, _advance, actor_label, roles_for
from wangge.cases.workflow import ACTIONS, OPERATOR, SYSTEM
from wangge.core.errors import ApplicationError, idempotency_mismatch
from wangge.core.models import Jurisdiction
from wangge.core.rows import insert_rows, instance_builder, update_rows
from wangge.routing import services as routing


@dataclass
class CaseDraft:
    """One case to open in a batch (`cases_open_batch`): what `case_report` takes, the category as a code."""

    channel: str
    category_code: str
    description: str
    lon: float
    lat: float
    crs: str = "wgs84"
    address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    priority: int = 2
    idempotency_key: str | None = None
    suggested_department_id: int | None = None
    actor: object = None
    located: dict | None = None  # routing's `locate_points` answer for (lon, lat) in WGS-84, when the caller has it


@dataclass
class Opened:
    case: Case | None
    created: bool = False
    error: ApplicationError | None = None  # what case_report would have raised for this draft


@transaction.atomic
def cases_open_batch(*, jurisdiction: Jurisdiction, drafts: list[CaseDraft], notify_each: bool = True) -> list[Opened]:
    """`case_report` for many cases at once (imports): the same checks, numbers, first events and notifications,
    in a fixed number of queries whatever the batch's size — existing keys, categories, the day's counter
    (one lock, one update for all the numbers), one insert of the cases, one of their events, notify's few.
    A draft that `case_report` would refuse is answered with its error; the others are opened. `notify_each`
    False: no notice per case (an import tells its operators once, when it is done)."""
    if not drafts:
        return []
    keys = {d.idempotency_key for d in drafts if d.idempotency_key}
    # Unordered: with the model's ordering SQLite walks the street's cases newest first instead of the key's index.
    existing = {c.idempotency_key: c for c in Case.objects.filter(jurisdiction=jurisdiction, idempotency_key__in=keys)
                .select_related("category").order_by()} if keys else {}
    categories = {c.code: c for c in Category.objects.filter(
        jurisdiction=jurisdiction, code__in={d.category_code for d in drafts}, parent__isnull=False, active=True)}
    located: list[dict | None] = [None] * len(drafts)
    by_crs: dict[str, list[int]] = {}
    for i, d in enumerate(drafts):
        if d.located is not None and d.crs == "wgs84":  # located already (intake routed it): not twice
            located[i] = d.located
        else:
            by_crs.setdefault(d.crs, []).append(i)
    for crs, idx in by_crs.items():
        for start in range(0, len(idx), routing.MAX_BATCH):
            part = idx[start:start + routing.MAX_BATCH]
            try:
                found = routing.locate_points(jurisdiction=jurisdiction, points=[(drafts[i].lon, drafts[i].lat) for i in part],
                                              crs=crs)
            except ApplicationError as exc:
                for i in part:
                    located[i] = {"error": exc}
                continue
            for i, result in zip(part, found, strict=True):
                located[i] = result
    now = timezone.now()
    new_case, new_event = instance_builder(Case), instance_builder(CaseEvent)
    channels = set(Channel.values)
    out: list[Opened] = []
    new: list[tuple[int, Case, CaseDraft]] = []
    for d, where in zip(drafts, located, strict=True):
        description = (d.description or "").strip()
        if d.idempotency_key and d.idempotency_key in existing:
            first = existing[d.idempotency_key]
            if first.description != description or first.category.code != d.category_code:
                out.append(Opened(first, error=idempotency_mismatch()))
            else:
                out.append(Opened(first))
            continue
        error = None
        if d.channel not in channels:
            error = ApplicationError(_("Unknown channel %(channel)r.") % {"channel": d.channel}, code="invalid_channel")
        elif len(description) < 4:
            error = ApplicationError(_("Describe the problem (at least 4 characters)."), code="description_required")
        elif d.priority not in (1, 2, 3):
            error = ApplicationError(_("priority must be 1 (urgent), 2 or 3."), code="invalid_priority")
        elif d.category_code not in categories:
            error = ApplicationError(_("Unknown category %(code)r: choose a minor class (小类).") % {"code": d.category_code},
                                     code="unknown_category")
        elif "error" in where:
            error = where["error"]
        elif not where["inside_jurisdiction"]:
            error = ApplicationError(_("The location is outside this jurisdiction."), code="outside_jurisdiction")
        if error is not None:
            out.append(Opened(None, error=error))
            continue
        category = categories[d.category_code]
        case = new_case(
            jurisdiction=jurisdiction, code="", channel=d.channel, category=category, description=description,
            address=d.address.strip()[:200], lon=where["wgs84"]["lon"], lat=where["wgs84"]["lat"],
            grid_id=where["grid"]["id"] if where["grid"] else None, units={u["layer"]: u["code"] for u in where["units"]},
            priority=d.priority, reporter_name=d.reporter_name.strip()[:50], reporter_phone=d.reporter_phone.strip()[:32],
            reporter_user=d.actor if d.channel in (Channel.RESIDENT, Channel.RIDER) and getattr(d.actor, "pk", None) else None,
            idempotency_key=d.idempotency_key or None, state="", size=category.size,
            suggested_department_id=d.suggested_department_id,
        )
        if case.idempotency_key:
            existing[case.idempotency_key] = case  # the same key again in this batch answers with this case
        new.append((len(out), case, d))
        out.append(Opened(case, created=True))
    if not new:
        return out
    day = timezone.localdate(now)
    counter, _created = CaseCounter.objects.select_for_update().get_or_create(jurisdiction=jurisdiction, day=day)
    first = counter.last + 1
    counter.last += len(new)
    counter.save(update_fields=["last"])
    events = []
    for n, (_i, case, d) in enumerate(new):
        case.code = f"{day:%Y%m%d}-{first + n:04d}"
        payload = {"channel": d.channel, "size": case.size}
        before, after = _advance(case, action="report", payload=payload, now=now)
        events.append(new_event(case=case, seq=case.version, action="report", from_state=before.state, to_state=after.state,
                                actor=d.actor, actor_label=actor_label(d.actor), at=now, reason="", payload=payload))
    cases = [case for _i, case, _draft in new]
    insert_rows(Case, cases)
    insert_rows(CaseEvent, events, ids=False)
    if notify_each:
        notify.after_events(zip(cases, events, strict=True))
    return out


@transaction.atomic
def cases_merge_batch(*, merges: list[tuple[Case, int, str]], known: list[Case] = (), actor=None,
                      notify_each: bool = True) -> list[Case | None]:
    """并单 of many (case, into case id, reason) at once: `case_merge`'s checks and events (merge on the duplicate,
    absorb on the target, the target's audience notified), the rows written in one update per batch. `known`: cases
    this transaction already holds (just opened by `cases_open_batch`), used as they are; other targets are locked
    here. A merge whose case or target cannot merge (any more) is skipped: None in its place. `notify_each` False:
    no notice per merge (an import tells its operators once)."""
    if not merges:
        return []
    held = {c.pk: c for c in known}
    for case, _into, _sure in merges:
        held.setdefault(case.pk, case)
    wanted = sorted({into for _case, into, _sure in merges} - set(held))
    held.update({c.pk: c for c in Case.objects.select_for_update(of=("self",)).filter(pk__in=wanted).order_by("pk")})
    now, out, changed, events, absorbed, columns = timezone.now(), [], {}, [], [], set()
    for case, into, reason in merges:
        target = held.get(into)
        if (target is None or case.pk == into or target.jurisdiction_id != case.jurisdiction_id
                or not {OPERATOR, SYSTEM} & roles_for(actor, case) or case.state not in ACTIONS["merge"].sources
                or target.state not in ACTIONS["absorb"].sources or target.merged_into_id):
            out.append(None)
            continue
        correlation = uuid.uuid4()
        for subject, action, payload in ((case, "merge", {"into_case_id": target.pk, "into": target.code}),
                                         (target, "absorb", {"case_id": case.pk, "case": case.code})):
            old = [getattr(subject, column) for column in DERIVED_COLUMNS]
            before, after = _advance(subject, action=action, payload=payload, now=now)
            columns.update(c for c, v in zip(DERIVED_COLUMNS, old, strict=True) if getattr(subject, c) != v)
            if (before.lead_department_id, before.assisting_ids) != (after.lead_department_id, after.assisting_ids):
                raise RuntimeError(f"{action} moved the departments; cases_merge_batch does not sync parties.")
            subject.updated_at = now
            changed[subject.pk] = subject
            events.append(CaseEvent(case=subject, seq=subject.version, action=action, from_state=before.state,
                                    to_state=after.state, actor=actor, actor_label=actor_label(actor), at=now, reason=reason,
                                    payload=payload, correlation_id=correlation))
        absorbed.append((target, events[-1]))
        out.append(target)
    if changed:
        # Only the columns some merge changed, one executemany UPDATE.
        update_rows(Case, list(changed.values()), [c for c in DERIVED_COLUMNS if c in columns] + ["updated_at"])
        insert_rows(CaseEvent, events, ids=False)
        if notify_each:
            notify.after_events(absorbed)
    return out
