"""Races on real separate connections: the same report sent twice at once is one report and one case; two
operators settling one triaged report — one wins, the other is told it is already settled."""

import pytest

from wangge.cases.models import Case
from wangge.cases.tests.test_concurrency import race
from wangge.intake import services
from wangge.intake.models import Report, ReportStatus
from wangge.intake.tests.conftest import IN_A


@pytest.mark.django_db(transaction=True)
def test_the_same_report_sent_twice_at_once_is_received_once(street):
    def send():
        services.report_submit(jurisdiction=street["j"], channel="resident", description="路灯不亮，晚上很黑",
                               lon=IN_A.x, lat=IN_A.y, category_code="BJ0101", idempotency_key="tap-tap", source_key="ip")

    outcomes = race([send, send, send])
    assert set(outcomes) <= {"ok", "idempotency_race"} and "ok" in outcomes
    assert Report.objects.count() == 1 and Case.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_operators_settle_one_triaged_report(street):
    report, _ = services.report_submit(jurisdiction=street["j"], channel="resident", description="不知道在哪里的路灯坏了",
                                       category_code="BJ0101", source_key="ip")
    users = street["users"]
    outcomes = race([
        lambda: services.report_triage_file(report_id=report.pk, actor=users["operator"], lon=IN_A.x, lat=IN_A.y),
        lambda: services.report_triage_reject(report_id=report.pk, actor=users["admin"], reason="不归本街道"),
    ])
    assert outcomes == ["already_resolved", "ok"]
    report.refresh_from_db()
    assert report.status in (ReportStatus.FILED, ReportStatus.REJECTED)
    assert Case.objects.count() == (1 if report.status == ReportStatus.FILED else 0)
