"""The case loop through its services: every transition allowed and forbidden, SLA clocks, replay."""

import pytest
from django.utils import timezone, translation

from wangge.cases import services, sla
from wangge.cases.models import Case, CaseDepartment, CaseEvent, Notification
from wangge.cases.services import case_act
from wangge.cases.workflow import replay
from wangge.core.errors import ApplicationError, Conflict, PermissionDenied


def act(case, user, action, reason="", **payload):
    return case_act(case_id=case.pk, actor=user, action=action, reason=reason, payload=payload)


def assert_replays(case):
    case.refresh_from_db()
    events = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("action", "payload"))
    assert services.snapshot_of(case) == replay(events)
    assert [e.seq for e in case.events.order_by("seq")] == list(range(1, case.version + 1))


def test_full_loop_with_three_users(loop, new_case):
    u, d = loop["users"], loop["departments"]
    case = new_case
    assert case.state == "reported" and case.grid.code == "A" and case.units["police"] == "P1"
    assert case.code.endswith("-0001")
    act(case, u["operator"], "accept")
    act(case, u["operator"], "dispatch", lead_department_id=d["urban"].pk)
    case.refresh_from_db()
    assert case.sla_stage == "sign" and case.deadline_at > case.warn_at > timezone.now() - timezone.timedelta(minutes=1)
    assert Notification.objects.filter(user=u["handler"], case=case, kind="dispatch").exists()
    act(case, u["handler"], "sign")
    act(case, u["handler"], "feedback", "已清运")
    act(case, u["worker"], "verify_pass")
    act(case, u["operator"], "close")
    act(case, u["operator"], "evaluate", rating="satisfied", comment="很快")
    case.refresh_from_db()
    assert case.state == "evaluated" and case.rating == "satisfied" and case.closed_at is not None
    assert [e.action for e in case.events.order_by("seq")] == [
        "report", "accept", "dispatch", "sign", "feedback", "verify_pass", "close", "evaluate"]
    assert_replays(case)


def test_illegal_transition_lists_allowed_actions(loop, new_case):
    with pytest.raises(Conflict) as info:
        act(new_case, loop["users"]["operator"], "close")
    assert info.value.code == "illegal_transition"
    assert set(info.value.details["allowed"]) == {"accept", "reject", "merge"}
    assert Case.objects.get(pk=new_case.pk).version == 1


def test_roles_and_scope(loop, new_case):
    u, d = loop["users"], loop["departments"]
    with pytest.raises(PermissionDenied):
        act(new_case, u["leader"], "accept")
    act(new_case, u["operator"], "accept")
    act(new_case, u["operator"], "dispatch", lead_department_id=d["urban"].pk)
    with pytest.raises(ApplicationError) as info:  # the police handler does not even see the case
        act(new_case, u["police_handler"], "sign")
    assert info.value.status == 404
    with pytest.raises(PermissionDenied):
        act(new_case, u["operator"], "sign")


def test_reason_required(loop, new_case):
    with pytest.raises(ApplicationError) as info:
        act(new_case, loop["users"]["operator"], "reject", "   ")
    assert info.value.code == "reason_required" and info.value.status == 422
    act(new_case, loop["users"]["operator"], "reject", "重复反映，已在处理")
    assert Case.objects.get(pk=new_case.pk).state == "rejected"


def test_return_reassign_rework_and_inbox_history(loop, new_case):
    u, d = loop["users"], loop["departments"]
    act(new_case, u["operator"], "accept")
    act(new_case, u["operator"], "dispatch", lead_department_id=d["police"].pk)
    act(new_case, u["police_handler"], "return", "不属于公安职责")
    act(new_case, u["operator"], "dispatch", lead_department_id=d["urban"].pk)
    act(new_case, u["handler"], "sign")
    act(new_case, u["handler"], "feedback", "已处理")
    act(new_case, u["worker"], "verify_fail", "现场仍有垃圾")
    new_case.refresh_from_db()
    assert new_case.state == "handling" and new_case.rework_count == 1 and new_case.sla_stage == "handle"
    parties = set(CaseDepartment.objects.filter(case=new_case).values_list("department__code", "active"))
    assert parties == {("police", False), ("urban", True)}
    assert_replays(new_case)


def test_joint_handling_needs_every_assisting_feedback(loop, new_case):
    u, d = loop["users"], loop["departments"]
    act(new_case, u["operator"], "accept")
    with pytest.raises(ApplicationError) as info:
        act(new_case, u["operator"], "dispatch", lead_department_id=d["urban"].pk, assisting_ids=[d["police"].pk])
    assert info.value.code == "not_joint"
    act(new_case, u["operator"], "escalate", "需城管、派出所、残联联动")
    act(new_case, u["operator"], "dispatch", lead_department_id=d["urban"].pk,
        assisting_ids=[d["police"].pk, d["disabled"].pk])
    act(new_case, u["handler"], "sign")
    with pytest.raises(Conflict) as info:
        act(new_case, u["handler"], "feedback", "已处理")
    assert "协办部门反馈" in info.value.message  # the refusal speaks the reader's language (zh-hans by default)
    with translation.override("en"), pytest.raises(Conflict) as info:
        act(new_case, u["handler"], "feedback", "已处理")
    assert "assisting departments' feedback" in info.value.message
    act(new_case, u["police_handler"], "assist_feedback", "已劝离")
    with pytest.raises(Conflict):
        act(new_case, u["police_handler"], "assist_feedback", "再次反馈")
    act(new_case, u["disabled_handler"], "assist_feedback", "已安置")
    act(new_case, u["handler"], "feedback", "联合处置完成")
    new_case.refresh_from_db()
    assert new_case.state == "handled" and new_case.size == "coordinated" and new_case.joint
    assert_replays(new_case)


def test_shelving_pauses_and_extension_extends_the_clock(loop, new_case):
    u, d = loop["users"], loop["departments"]
    act(new_case, u["operator"], "accept")
    act(new_case, u["operator"], "dispatch", lead_department_id=d["urban"].pk)
    act(new_case, u["handler"], "sign")
    new_case.refresh_from_db()
    deadline = new_case.deadline_at
    act(new_case, u["handler"], "request_extension", "需采购配件", hours=16)
    with pytest.raises(Conflict):
        act(new_case, u["handler"], "request_extension", "再延", hours=8)
    act(new_case, u["operator"], "approve_extension")
    new_case.refresh_from_db()
    assert new_case.extension_hours == 16 and new_case.deadline_at > deadline
    assert sla.calendar().working_seconds(deadline, new_case.deadline_at) == pytest.approx(16 * 3600, abs=1)
    act(new_case, u["handler"], "request_shelve", "等待产权单位确认")
    act(new_case, u["operator"], "approve_shelve")
    new_case.refresh_from_db()
    assert new_case.shelved and new_case.deadline_at is None and new_case.sla_paused_since is not None
    with pytest.raises(Conflict):
        act(new_case, u["handler"], "feedback", "处理完")
    act(new_case, u["handler"], "unshelve")
    new_case.refresh_from_db()
    assert not new_case.shelved and new_case.deadline_at is not None and new_case.sla_paused_since is None
    assert_replays(new_case)


def test_stale_version_is_a_409_saying_what_happened(loop, new_case):
    u = loop["users"]
    act(new_case, u["operator"], "accept")
    with pytest.raises(Conflict) as info:
        case_act(case_id=new_case.pk, actor=u["operator"], action="reject", reason="x", expected_version=1)
    assert info.value.code == "stale_version" and "op (" in info.value.message  # who did what


def test_merge_duplicates(loop, new_case):
    u = loop["users"]
    dup, _ = services.case_report(jurisdiction=loop["j"], actor=u["operator"], channel="hotline", category_code="SJ0101",
                                  description="同一处垃圾又有人反映", lon=new_case.lon, lat=new_case.lat)
    target = services.case_merge(case_id=dup.pk, into_case_id=new_case.pk, actor=u["operator"], reason="同一点位")
    dup.refresh_from_db()
    assert dup.state == "merged" and dup.merged_into_id == target.pk and target.duplicates == 1
    with pytest.raises(Conflict):
        services.case_merge(case_id=dup.pk, into_case_id=new_case.pk, actor=u["operator"])
    assert_replays(dup)
    assert_replays(target)


def test_idempotent_create(loop):
    u = loop["users"]
    args = dict(jurisdiction=loop["j"], actor=u["operator"], channel="resident", category_code="SJ0101",
                description="路灯不亮", lon=121.44, lat=31.24, idempotency_key="abc-1")
    first, created = services.case_report(**args)
    again, created_again = services.case_report(**args)
    assert created and not created_again and first.pk == again.pk
    with pytest.raises(Conflict):
        services.case_report(**{**args, "description": "别的事情"})
    assert Case.objects.count() == 1


def test_outside_and_unknown_category_refused(loop):
    u = loop["users"]
    with pytest.raises(ApplicationError) as info:
        services.case_report(jurisdiction=loop["j"], actor=u["operator"], channel="resident", category_code="SJ0101",
                             description="远处的问题", lon=121.6, lat=31.3)
    assert info.value.code == "outside_jurisdiction"
    with pytest.raises(ApplicationError) as info:
        services.case_report(jurisdiction=loop["j"], actor=u["operator"], channel="resident", category_code="SJ01",
                             description="大类不能直接立案", lon=121.44, lat=31.24)
    assert info.value.code == "unknown_category"
    assert not Case.objects.exists()


def test_quick_handle_by_grid_worker(loop):
    from conftest import metres

    p = metres(200, 200, 201, 201).centroid
    case = services.case_quick_handle(jurisdiction=loop["j"], actor=loop["users"]["worker"], category_code="SJ0101",
                                      description="路边一袋垃圾", lon=p.x, lat=p.y, result="已当场清理")
    assert case.state == "closed" and case.verified_once
    assert len({e.correlation_id for e in case.events.exclude(action="report")}) == 1
    assert_replays(case)
    q = metres(700, 200, 701, 201).centroid  # grid B is not the worker's
    with pytest.raises(PermissionDenied):
        services.case_quick_handle(jurisdiction=loop["j"], actor=loop["users"]["worker"], category_code="SJ0101",
                                   description="别的网格", lon=q.x, lat=q.y, result="x")
    assert not Case.objects.filter(description="别的网格").exists()


def test_unsatisfied_rating_reopens_within_window(loop, new_case):
    u, d = loop["users"], loop["departments"]
    for action, user, kw in [("accept", "operator", {}), ("dispatch", "operator", {"lead_department_id": d["urban"].pk}),
                             ("sign", "handler", {}), ("feedback", "handler", {"reason": "ok"}),
                             ("verify_pass", "worker", {}), ("close", "operator", {})]:
        act(new_case, u[user], action, kw.pop("reason", ""), **kw)
    act(new_case, u["operator"], "evaluate", rating="unsatisfied", comment="没修好")
    act(new_case, u["operator"], "reopen", "回访不满意")
    new_case.refresh_from_db()
    assert new_case.state == "accepted" and new_case.lead_department_id is None
    assert_replays(new_case)
