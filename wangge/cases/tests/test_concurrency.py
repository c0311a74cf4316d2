"""Two people acting on one case at the same moment, on real separate connections: exactly one wins."""

import threading

import pytest
from django.db import connection

from conftest import metres
from wangge.cases import services
from wangge.cases.models import Case
from wangge.core.errors import Conflict


def race(fns) -> list[str]:
    barrier = threading.Barrier(len(fns))
    outcomes: list[str] = []

    def run(fn):
        try:
            barrier.wait(timeout=10)
            fn()
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_two_operators_accept_and_reject_at_once(loop):
    u = loop["users"]
    p = metres(100, 300, 101, 301).centroid
    case, _ = services.case_report(jurisdiction=loop["j"], actor=u["operator"], channel="resident", category_code="SJ0101",
                                   description="并发测试", lon=p.x, lat=p.y)
    outcomes = race([
        lambda: services.case_act(case_id=case.pk, actor=u["operator"], action="accept"),
        lambda: services.case_act(case_id=case.pk, actor=u["admin"], action="reject", reason="不予立案"),
    ])
    assert outcomes == ["illegal_transition", "ok"]
    case.refresh_from_db()
    assert case.version == 2 and case.state in ("accepted", "rejected")
    assert list(case.events.values_list("seq", flat=True)) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_same_version_twice_one_gets_stale(loop):
    u = loop["users"]
    p = metres(100, 300, 101, 301).centroid
    case, _ = services.case_report(jurisdiction=loop["j"], actor=u["operator"], channel="resident", category_code="SJ0101",
                                   description="并发测试二", lon=p.x, lat=p.y)
    services.case_act(case_id=case.pk, actor=u["operator"], action="accept")
    outcomes = race([
        lambda: services.case_act(case_id=case.pk, actor=u["operator"], action="escalate", reason="联动",
                                  expected_version=2),
        lambda: services.case_act(case_id=case.pk, actor=u["admin"], action="escalate", reason="联动", expected_version=2),
    ])
    assert outcomes == ["ok", "stale_version"]
    assert Case.objects.get(pk=case.pk).version == 3


@pytest.mark.django_db(transaction=True)
def test_same_idempotency_key_at_once_creates_one_case(loop):
    u = loop["users"]
    p = metres(100, 300, 101, 301).centroid
    args = dict(jurisdiction=loop["j"], actor=u["operator"], channel="resident", category_code="SJ0101",
                description="同一次提交", lon=p.x, lat=p.y, idempotency_key="double-click")
    outcomes = race([lambda: services.case_report(**args), lambda: services.case_report(**args)])
    assert outcomes in (["ok", "ok"], ["idempotency_race", "ok"])
    assert Case.objects.filter(idempotency_key="double-click").count() == 1
