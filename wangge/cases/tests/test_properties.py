"""Property-based (hypothesis, stateful): random actions by random users never break the loop's invariants."""

import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from conftest import metres
from wangge.cases import services
from wangge.cases.models import Case, CaseEvent
from wangge.cases.workflow import ACTIONS, State, replay
from wangge.core.errors import ApplicationError

FORWARD = {"accept", "dispatch", "sign", "assist_feedback", "feedback", "verify_pass", "close", "evaluate", "unshelve",
           "approve_extension", "approve_shelve"}
ACTS = sorted(a for a in ACTIONS if a not in ("report", "absorb", "merge", "sla_warning", "sla_overdue"))


@pytest.mark.django_db
def test_random_walks_keep_every_invariant(loop):
    users = loop["users"]
    departments = list(loop["departments"].values())
    point = metres(100, 300, 101, 301).centroid

    reached: set[str] = set()

    class CaseLoop(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.case, _ = services.case_report(
                jurisdiction=loop["j"], actor=users["operator"], channel="resident", category_code="SJ0101",
                description="随机路径测试", lon=point.x, lat=point.y,
            )

        @rule(action=st.sampled_from(ACTS), who=st.sampled_from(sorted(users)), reason=st.sampled_from(["", "理由"]),
              lead=st.sampled_from(departments), assist=st.lists(st.sampled_from(departments), max_size=2, unique=True),
              hours=st.sampled_from([-1, 8, 24]), rating=st.sampled_from(["satisfied", "unsatisfied", "bad"]))
        def act(self, action, who, reason, lead, assist, hours, rating):
            user = users[who]
            before = Case.objects.get(pk=self.case.pk)
            offered = services.case_allowed_actions(case=before, user=user)
            payload = {"lead_department_id": lead.pk, "assisting_ids": [d.pk for d in assist if d != lead],
                       "hours": hours, "rating": rating}
            try:
                services.case_act(case_id=self.case.pk, actor=user, action=action, reason=reason, payload=payload)
            except ApplicationError:
                after = Case.objects.get(pk=self.case.pk)
                assert after.version == before.version and after.state == before.state  # refused: nothing written
                return
            # Whatever succeeded was offered to this user in this state, with a reason when one is needed.
            assert action in offered, (action, who, before.state)
            assert reason or not ACTIONS[action].needs_reason

        @rule(pick=st.integers(min_value=0, max_value=10_000), escalate=st.booleans())
        def advance(self, pick, escalate):
            """A guided step: some user takes one of the actions offered to them now (walks deep into the loop)."""
            case = Case.objects.get(pk=self.case.pk)
            options = [(who, a) for who in sorted(users)
                       for a in services.case_allowed_actions(case=case, user=users[who])
                       if a != "merge"]
            forward = [o for o in options if o[1] in FORWARD]
            if forward and pick % 4:
                options = forward  # mostly forward, sometimes any side flow
            if not options:
                return
            who, action = options[pick % len(options)]
            if action == "escalate" and not escalate:
                return
            assist = [departments[2].pk] if case.joint else []
            payload = {"lead_department_id": departments[0].pk, "assisting_ids": assist, "hours": 8,
                       "rating": "unsatisfied" if pick % 3 == 0 else "satisfied"}
            services.case_act(case_id=case.pk, actor=users[who], action=action, reason="理由", payload=payload)
            reached.add(Case.objects.get(pk=case.pk).state)

        @invariant()
        def state_is_the_replay_of_the_events(self):
            case = Case.objects.get(pk=self.case.pk)
            events = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("action", "payload"))
            assert services.snapshot_of(case) == replay(events)
            assert case.version == len(events)

        @invariant()
        def closed_cases_were_verified(self):
            case = Case.objects.get(pk=self.case.pk)
            if case.state in (State.CLOSED, State.EVALUATED):
                assert case.verified_once
                assert CaseEvent.objects.filter(case=case, action="verify_pass").exists()

        @invariant()
        def paused_clocks_do_not_run(self):
            case = Case.objects.get(pk=self.case.pk)
            if case.shelved:
                assert case.sla_paused_since is not None and case.deadline_at is None and case.warn_at is None
            if case.state not in (State.DISPATCHED, State.HANDLING, State.HANDLED):
                assert case.deadline_at is None and not case.sla_stage

    run_state_machine_as_test(
        CaseLoop,
        settings=settings(max_examples=int(os.environ.get("WANGGE_HYPOTHESIS_EXAMPLES", "20")), stateful_step_count=40, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]),
    )
    # The walks went all the way round the loop, side flows included.
    assert {State.HANDLING, State.HANDLED, State.VERIFIED, State.CLOSED} <= reached
