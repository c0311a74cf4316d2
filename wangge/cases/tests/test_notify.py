"""Notifications: who hears about each action, one outbound task per service call (inside the transaction when the
queue is the database's own table), and the SQL a transition or a sweep batch costs."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.tasks import task_backends
from django.test import override_settings
from django.utils import translation

from conftest import metres
from wangge.accounts.models import Role
from wangge.accounts.services import user_create
from wangge.cases import notify, services
from wangge.cases.models import Case, Notification
from wangge.cases.sweep import sla_sweep
from wangge.cases.workflow import ACTIONS


def act(case, user, action, reason="", **payload):
    return services.case_act(case_id=case.pk, actor=user, action=action, reason=reason, payload=payload)


def heard(case, kind) -> set[str]:
    return set(Notification.objects.filter(case=case, kind=kind).values_list("user__username", flat=True))


def report(loop, actor, channel="resident", description="垃圾桶满溢，气味很大"):
    p = metres(100, 300, 101, 301).centroid
    case, _ = services.case_report(jurisdiction=loop["j"], actor=actor, channel=channel, category_code="SJ0101",
                                   description=description, lon=p.x, lat=p.y)
    return case


@pytest.fixture
def db_queue():
    """The production queue (django-tasks-db) instead of the test settings' immediate backend."""
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        task_backends._settings = None  # re-read TASKS
        try:
            yield
        finally:
            task_backends._settings = None


def tasks():
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.order_by("enqueued_at").values_list("args_kwargs", flat=True))


def test_each_action_reaches_its_audience_and_never_its_actor(loop):
    u, d, j = loop["users"], loop["departments"], loop["j"]
    second_operator = user_create(username="op2", password="pw-op2-1", role=Role.OPERATOR, jurisdiction=j)
    reporter = user_create(username="res1", password="pw-res1-1", role=Role.LEADER, jurisdiction=j)
    other_reporter = user_create(username="res2", password="pw-res2-1", role=Role.LEADER, jurisdiction=j)
    case = report(loop, reporter)
    assert heard(case, "report") == {"op", "op2"}
    duplicate = report(loop, other_reporter, description="同一处垃圾又有人反映")
    services.case_merge(case_id=duplicate.pk, into_case_id=case.pk, actor=u["operator"])
    assert heard(case, "absorb") == {"op2"}  # the operator merged it
    act(case, u["operator"], "accept")
    act(case, u["operator"], "escalate", "需联动")
    assert heard(case, "escalate") == {"op2"}
    act(case, u["operator"], "dispatch", lead_department_id=d["urban"].pk, assisting_ids=[d["police"].pk, d["disabled"].pk])
    assert heard(case, "dispatch") == {"h", "hp", "hd"}
    act(case, u["handler"], "sign")
    act(case, u["police_handler"], "assist_feedback", "已劝离")
    act(case, u["disabled_handler"], "assist_feedback", "已安置")
    assert heard(case, "assist_feedback") == {"h"}
    act(case, u["handler"], "feedback", "已清运")
    assert heard(case, "feedback") == {"gw", "op", "op2"}  # the grid's worker (grid A) and the operators
    act(case, u["worker"], "verify_pass")
    assert heard(case, "verify_pass") == {"op", "op2"}
    with translation.override("en"):  # an operator reading English closes it: the reporter still reads the street's language
        act(case, second_operator, "close")
    assert heard(case, "close") == {"res1", "res2"}  # the reporter and the merged duplicate's reporter
    message = Notification.objects.get(case=case, kind="close", user=reporter).message
    assert message.startswith(f"{case.code} · ") and "op2" in message
    with translation.override("zh-hans"):
        zh = str(ACTIONS["close"].label)
    with translation.override("en"):
        en = str(ACTIONS["close"].label)
    assert zh != en and f" · {zh} · " in message
    sent_to_actor = Notification.objects.filter(case=case, user=second_operator, kind__in=["close"])
    assert not sent_to_actor.exists()


def test_sla_marks_reach_the_lead_department_and_the_operators(loop):
    u, d = loop["users"], loop["departments"]
    cases = [report(loop, u["operator"], channel="hotline", description=f"时限测试{i}") for i in range(3)]
    for case in cases:
        act(case, u["operator"], "accept")
        act(case, u["operator"], "dispatch", lead_department_id=(d["urban"] if case is not cases[2] else d["police"]).pk)
    deadline = max(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("deadline_at", flat=True))
    assert sla_sweep(now=deadline + timedelta(seconds=1))["overdue"] == 3
    assert [heard(c, "sla_overdue") for c in cases] == [{"h", "op"}, {"h", "op"}, {"hp", "op"}]


def test_one_outbound_task_per_call_written_inside_the_transaction(loop, db_queue):
    u, d = loop["users"], loop["departments"]
    case = report(loop, u["operator"], channel="hotline")
    act(case, u["operator"], "accept")
    before = len(tasks())
    # The test's transaction never commits, yet the task row is there: it is part of the transaction.
    act(case, u["operator"], "dispatch", lead_department_id=d["urban"].pk)
    ids = list(Notification.objects.filter(case=case, kind="dispatch").values_list("pk", flat=True))
    assert len(tasks()) == before + 1 and tasks()[-1]["args"] == [ids]
    # Rolled back with the transaction that wrote it: no task for a change that never happened.
    with pytest.raises(RuntimeError), transaction.atomic():
        act(case, u["handler"], "request_extension", "需协调", hours=8)
        assert len(tasks()) == before + 2
        raise RuntimeError("the caller fails after the action")
    assert len(tasks()) == before + 1 and Case.objects.get(pk=case.pk).extension_pending is False


def test_a_sweep_batch_enqueues_one_task(loop, db_queue):
    u, d = loop["users"], loop["departments"]
    cases = [report(loop, u["operator"], channel="hotline", description=f"批量测试{i}") for i in range(4)]
    for case in cases:
        act(case, u["operator"], "accept")
        act(case, u["operator"], "dispatch", lead_department_id=d["urban"].pk)
    before = len(tasks())
    deadline = max(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("deadline_at", flat=True))
    assert sla_sweep(now=deadline + timedelta(seconds=1), batch=500)["overdue"] == 4
    queued = tasks()[before:]
    assert len(queued) == 1 and len(queued[0]["args"][0]) == 8  # 4 cases × (lead handler + operator)


def test_other_queues_get_the_task_only_after_commit(loop, django_capture_on_commit_callbacks):
    u, d = loop["users"], loop["departments"]
    case = report(loop, u["operator"], channel="hotline")
    act(case, u["operator"], "accept")
    Notification.objects.update(sent_via=["x"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        act(case, u["operator"], "dispatch", lead_department_id=d["urban"].pk)
    assert len(callbacks) == 1
    assert not Notification.objects.filter(sent_via=[]).exclude(sent_via=["x"]).exclude(case=case).exists()
    callbacks[0]()  # the immediate backend runs it: the handler's notification goes out
    assert Notification.objects.get(case=case, kind="dispatch").sent_via == ["log"]


def test_recipients_without_a_reporter_need_no_query(loop, django_assert_num_queries):
    case = report(loop, loop["users"]["operator"], channel="hotline")
    with django_assert_num_queries(0):
        assert notify.recipient_ids(case, {"reporter"}) == set()


def test_sql_per_transition(loop, db_queue, django_assert_num_queries):
    """With the production queue, a transition is: lock and read the case, update the changed columns, insert the
    event (SAVEPOINT / RELEASE here, BEGIN / COMMIT in production). Extra statements only where the action needs them."""
    u, d = loop["users"], loop["departments"]
    case = report(loop, u["operator"], channel="hotline")
    with django_assert_num_queries(5):
        act(case, u["operator"], "accept")
    # + the departments' check, the parties' upsert, the recipients, their notifications and the outbound task's row
    with django_assert_num_queries(10):
        act(case, u["operator"], "dispatch", lead_department_id=d["urban"].pk)
    u["handler"].person  # noqa: B018 - a request loads its user's person once; not part of the transition
    with django_assert_num_queries(5):
        act(case, u["handler"], "sign")


def test_sweep_sql_does_not_grow_with_the_batch(loop, django_assert_num_queries):
    u, d = loop["users"], loop["departments"]
    cases = [report(loop, u["operator"], channel="hotline", description=f"批量测试{i}") for i in range(6)]
    for case in cases:
        act(case, u["operator"], "accept")
        act(case, u["operator"], "dispatch", lead_department_id=d[("urban", "police")[case.pk % 2]].pk)
    deadline = max(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("deadline_at", flat=True))
    # The ids, then per batch: SAVEPOINT, lock, update, events, recipients per audience (2 departments here),
    # notifications, RELEASE; the task is enqueued on commit by the test settings' immediate backend.
    with django_assert_num_queries(2 + 8):
        assert sla_sweep(now=deadline + timedelta(seconds=1))["overdue"] == 6


def test_notices_and_actor_names_are_shown_in_the_readers_language(loop, client):
    """Texted in the street's language whoever acted; on the page, in the API and on the timeline, in the reader's."""
    u, d = loop["users"], loop["departments"]
    case = report(loop, u["operator"], channel="hotline")
    act(case, u["operator"], "accept")
    with translation.override("en"):  # the operator works in English
        act(case, u["operator"], "dispatch", lead_department_id=d["urban"].pk)
    stored = Notification.objects.get(case=case, kind="dispatch", user=u["handler"]).message
    assert stored == f"{case.code} · 派遣 · op (城运中心操作员)"  # as texted to the handler's phone

    client.force_login(u["handler"])
    client.cookies["django_language"] = "en"
    english = f"{case.code} · Dispatch (派遣) · op (Operations-centre operator)"
    assert english in client.get("/notifications/").content.decode()
    assert [n["message"] for n in client.get("/api/v1/notifications").json()] == [english]
    client.cookies["django_language"] = "zh-hans"
    assert stored in client.get("/notifications/").content.decode()
    timeline = client.get(f"/cases/{case.code}/").content.decode()
    assert "op (城运中心操作员)" in timeline and "(operator)" not in timeline


def test_a_label_stored_before_role_codes_is_shown_as_written():
    from wangge.cases.models import actor_display

    with translation.override("en"):
        assert actor_display("张三 (城运中心操作员)") == "张三 (城运中心操作员)"
        assert actor_display("张三 (a (b) c)") == "张三 (a (b) c)"
        assert actor_display("李四 (grid_worker)") == "李四 (Grid worker)"
    with translation.override("zh-hans"):
        assert actor_display("李四 (grid_worker)") == "李四 (网格员)"
        assert actor_display("system") != "system"


def test_a_notice_without_a_case_is_texted_in_the_streets_language_and_read_in_yours(loop):
    u = loop["users"]
    template = "12345 import #%(id)s (%(file)s) committed: %(filed)s filed, %(joined)s joined to open cases, " \
               "%(triage)s waiting in triage, %(updated)s known orders updated, %(failed)s not received."
    args = {"id": 7, "file": "a.xlsx", "filed": 3, "joined": 1, "triage": 2, "updated": 0, "failed": 1}
    with translation.override("en"):
        ids = notify.operators_notify(jurisdiction_id=loop["j"].pk, kind="hotline_import", template=template, args=args)
    n = Notification.objects.get(pk=ids[0], user=u["operator"])
    assert n.message.startswith("12345 工单导入 #7（a.xlsx）") and "立案 3 件" in n.message
    with translation.override("en"):
        assert notify.render(n) == template % args
    with translation.override("zh-hans"):
        assert notify.render(n) == n.message
    n.params = {}  # a row from before params: shown as stored
    with translation.override("en"):
        assert notify.render(n) == n.message
    n.params = {"template": template, "args": {"id": 7}}  # arguments that no longer fit: as stored, never a 500
    assert notify.render(n) == n.message
