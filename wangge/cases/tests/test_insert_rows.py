"""`core.rows` (`insert_rows`, `instance_builder`), the batch paths' writers (imports), on cases and their events: the same
rows `bulk_create` writes, each instance given its id. Here for the case fixtures."""

import uuid
from datetime import timedelta

from django.utils import timezone

from wangge.cases.models import Case, CaseEvent
from wangge.core.rows import insert_rows, instance_builder

AT = timezone.now() - timedelta(hours=1)
SKIP = {"id", "code", "idempotency_key", "tracking_token", "created_at", "updated_at"}


def _copies(source: Case, tag: str, actor) -> tuple[list[Case], list[CaseEvent]]:
    cases = []
    for k in range(3):
        case = Case.objects.get(pk=source.pk)
        case.pk, case._state.adding = None, True
        case.code, case.idempotency_key = f"{source.code}-{tag}{k}", f"{tag}:{k}"
        case.tracking_token = Case._meta.get_field("tracking_token").get_default()
        case.units = {"police": f"P{k}", "name": "派出所"}
        case.reporter_user = actor if k else None
        cases.append(case)
    events = [CaseEvent(case=case, seq=9, action="report", from_state="", to_state=case.state, actor=actor if k else None,
                        actor_label="值班员", at=AT, reason="原因", payload={"k": [k, "二"], "none": None},
                        correlation_id=uuid.UUID(int=k + 1))
              for k, case in enumerate(cases)]  # built before their cases have ids, as the batch builds them
    return cases, events


def _rows(cases: list[Case]) -> list[tuple]:
    out = []
    for case in cases:
        row = Case.objects.filter(pk=case.pk).values().get()
        assert row["code"] == case.code and row["created_at"] is not None and row["updated_at"] is not None
        events = list(CaseEvent.objects.filter(case_id=case.pk).values())
        out.append(({k: v for k, v in row.items() if k not in SKIP},
                    [{k: v for k, v in e.items() if k not in {"id", "case_id"}} for e in events]))
    return out


def test_insert_rows_writes_what_bulk_create_writes(new_case, loop):
    actor = loop["users"]["operator"]
    ours, our_events = _copies(new_case, "a", actor)
    insert_rows(Case, ours)
    insert_rows(CaseEvent, our_events, ids=False)
    theirs, their_events = _copies(new_case, "b", actor)
    Case.objects.bulk_create(theirs)
    CaseEvent.objects.bulk_create(their_events)

    assert all(c.pk and not c._state.adding for c in ours)
    assert len({c.pk for c in ours} | {c.pk for c in theirs}) == 6
    got, want = _rows(ours), _rows(theirs)
    for (case, events), (case_want, events_want) in zip(got, want, strict=True):
        assert case == case_want
        assert events == events_want
    assert got[1][0]["units"] == {"police": "P1", "name": "派出所"} and got[1][0]["reporter_user_id"] == actor.pk
    assert got[2][1][0]["payload"] == {"k": [2, "二"], "none": None}
    assert got[2][1][0]["correlation_id"] == uuid.UUID(int=3)


def test_insert_rows_of_nothing_writes_nothing(loop):
    n = Case.objects.count()
    insert_rows(Case, [])
    assert Case.objects.count() == n


def test_instance_builder_builds_what_the_model_builds(new_case, loop):
    actor = loop["users"]["operator"]
    kwargs = {"case": new_case, "seq": 9, "action": "report", "from_state": "", "to_state": new_case.state, "actor": actor,
              "actor_label": "值班员", "at": AT, "reason": "原因", "payload": {"k": 1}, "correlation_id": uuid.UUID(int=7)}
    ours, theirs = instance_builder(CaseEvent)(**kwargs), CaseEvent(**kwargs)
    names = [f.attname for f in CaseEvent._meta.concrete_fields]
    assert [getattr(ours, n) for n in names] == [getattr(theirs, n) for n in names]
    assert ours.case is new_case and ours.actor is actor and ours._state.adding and ours.pk is None

    build = instance_builder(Case)
    one = build(jurisdiction=new_case.jurisdiction, category=new_case.category, description="路灯不亮", lon=1.0, lat=2.0,
                reporter_user=None, state="")
    two = build(jurisdiction=new_case.jurisdiction, category_id=new_case.category_id, description="路灯不亮", lon=1.0, lat=2.0,
                state="")
    want = Case(jurisdiction=new_case.jurisdiction, category=new_case.category, description="路灯不亮", lon=1.0, lat=2.0,
                reporter_user=None, state="")
    skip = {"tracking_token"}  # a fresh uuid4 each
    names = [f.attname for f in Case._meta.concrete_fields if f.attname not in skip]
    assert [getattr(one, n) for n in names] == [getattr(want, n) for n in names] == [getattr(two, n) for n in names]
    assert one.tracking_token != two.tracking_token and one.units is not two.units and one.assisting_ids == []
    assert one.category is new_case.category and one.reporter_user is None
    # uuid4 defaults come from a pool read 256 at a time: still version-4 random UUIDs, all different, past the pool.
    tokens = [build(jurisdiction=new_case.jurisdiction, category=new_case.category, description="x", lon=1.0, lat=2.0,
                    state="").tracking_token for _ in range(600)]
    assert len(set(tokens) | {one.tracking_token, two.tracking_token}) == 602
    assert all(t.version == 4 and t.variant == uuid.RFC_4122 for t in tokens)
    assert instance_builder(CaseEvent)(**{**kwargs, "correlation_id": None}).correlation_id is None  # given: kept
    insert_rows(Case, [one])
    assert Case.objects.get(pk=one.pk).description == "路灯不亮"
    try:
        build(nonsense=1)
    except TypeError as exc:
        assert "nonsense" in str(exc)
    else:
        raise AssertionError("an unknown keyword must be refused, as Model.__init__ refuses it")
