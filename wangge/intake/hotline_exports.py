"""What the 12345 import writes back as files: the results in the hotline's layout (办理结果) and the import template
(下载模板) with example orders of the street."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.utils import timezone, translation

from wangge.cases.models import CaseEvent, Category
from wangge.core.models import Jurisdiction
from wangge.intake import hotline
from wangge.intake.hotline_models import HotlineOrder, RowAction
from wangge.intake.hotline_services import hotline_import_get, hotline_staff_check
from wangge.intake.models import ReportStatus, TriageReason

STATE_LABELS = {"reported": "已受理", "accepted": "已立案", "dispatched": "已派遣", "handling": "处置中",
                "handled": "已处置待核查", "verified": "已核查", "closed": "已办结", "evaluated": "已办结（已评价）",
                "rejected": "不予立案", "merged": "已并单"}
TRIAGE_LABELS = {TriageReason.UNLOCATED: "地址无法定位", TriageReason.OUTSIDE: "不在本街道",
                 TriageReason.LOW_CONFIDENCE: "类别待定", TriageReason.DUPLICATE: "疑似重复"}
RESULT_EVENTS = ("feedback", "reject")


def hotline_results(*, jurisdiction: Jurisdiction, actor, batch_id: int) -> Iterator[tuple]:
    """(工单编号, 办理结果, 办结时间, 承办单位, 处理状态) for every row of an import, in file order: the case's
    feedback (反馈) text, closed_at, lead department and state; triage and refusals say why."""
    batch = hotline_import_get(actor=actor, jurisdiction=jurisdiction, batch_id=batch_id)
    rows = batch.rows.order_by("line").values_list("order_no", "order_id", "action", "errors")
    chunk: list[tuple] = []
    for row in rows.iterator(chunk_size=2000):
        chunk.append(row)
        if len(chunk) >= 1000:
            yield from _result_rows(chunk)
            chunk = []
    if chunk:
        yield from _result_rows(chunk)


def _result_rows(chunk: list[tuple]) -> Iterator[tuple]:
    orders = {o.pk: o for o in HotlineOrder.objects.filter(pk__in=[r[1] for r in chunk if r[1]]).select_related(
        "report", "report__case", "report__case__lead_department")}
    case_ids = {o.report.case_id for o in orders.values() if o.report_id and o.report.case_id}
    results: dict[int, str] = {}
    for case_id, reason in (CaseEvent.objects.filter(case_id__in=case_ids, action__in=RESULT_EVENTS)
                            .order_by("case_id", "seq").values_list("case_id", "reason")):
        results[case_id] = reason  # the latest feedback (反馈) or the reason of a rejection
    with translation.override(settings.LANGUAGE_CODE):  # the file goes back to the hotline: the street's language
        texts = [[hotline.note_text(e) for e in stored] for _no, _id, _action, stored in chunk]
    for (order_no, order_id, action, _stored), errors in zip(chunk, texts, strict=True):
        order = orders.get(order_id)
        if order is None:
            status = "未导入：" + "；".join(errors) if action == RowAction.REFUSE else "未导入"
            yield (order_no, "", None, "", status)
            continue
        report = order.report
        if report is None:
            yield (order_no, "", None, "", "未受理：" + "；".join(errors) if errors else "未受理")
            continue
        case = report.case
        if report.status == ReportStatus.REJECTED:
            yield (order_no, report.resolution_note, report.resolved_at, "", "不予受理")
        elif report.status == ReportStatus.TRIAGE and (case is None or TriageReason.DUPLICATE in report.triage_reasons):
            reasons = "、".join(TRIAGE_LABELS.get(r, r) for r in report.triage_reasons)
            yield (order_no, "", None, "", f"待分拣（{reasons}）" if reasons else "待分拣")
        elif case is None:
            yield (order_no, "", None, "", "待分拣")
        else:
            lead = case.lead_department.name if case.lead_department_id else ""
            state = STATE_LABELS.get(case.state, case.state)
            if report.status == ReportStatus.JOINED:
                state = f"{state}（并入 {case.code}）"
            yield (order_no, results.get(case.pk, ""), case.closed_at, lead, state)


# --------------------------------------------------------------------------------------------- template

# The template's example orders: a category code and what a caller would say there.
_TEMPLATE_EXAMPLES = (
    ("SJ0101", "张先生", "{address}门口垃圾堆放多日无人清运，气味很大，请尽快处理。"),
    ("BJ0105", "李女士", "{address}附近路灯晚上不亮，行人经过很不安全，请派人维修。"),
    ("SJ0401", "王先生", "{address}沿街商铺长期占用人行道摆放货物，行人只能走机动车道。"),
)


def hotline_template_rows(*, actor, jurisdiction: Jurisdiction, now=None) -> list[list]:
    """The import template's example rows (下载模板): orders this street could receive, at its own addresses and in its
    categories, so that the file previews as the operator's would. Under `hotline.TEMPLATE_HEADER`."""
    from wangge.routing import gazetteer

    hotline_staff_check(actor=actor, jurisdiction=jurisdiction)
    now = timezone.localtime(now or timezone.now(), hotline.SHANGHAI).replace(microsecond=0)
    addresses = gazetteer.address_examples(jurisdiction=jurisdiction, n=len(_TEMPLATE_EXAMPLES)) or [jurisdiction.name]
    names = dict(Category.objects.filter(jurisdiction=jurisdiction, parent__isnull=False, active=True)
                 .values_list("code", "name"))
    rows = []
    for i, (code, caller, text) in enumerate(_TEMPLATE_EXAMPLES):
        address = addresses[i % len(addresses)]
        rows.append([f"示例{now:%Y%m%d}{i + 1:04d}", now - timedelta(hours=3 - i), caller, f"1380013800{i}",
                     names.get(code, ""), text.format(address=address), address, jurisdiction.name,
                     now + timedelta(days=5)])
    return rows
