"""The operators' triage queue filtered by reason: only the reports held for that reason, on SQLite and PostgreSQL."""

from django.test import Client

from wangge.intake import selectors, services
from wangge.intake.models import Report, ReportStatus, TriageReason
from wangge.intake.tests.conftest import IN_A, OUTSIDE


def _submit(j, n, **kw):
    args = {"jurisdiction": j, "channel": "resident", "description": f"小区门口垃圾桶满溢，气味很大 {n}", "lon": IN_A.x,
            "lat": IN_A.y, "category_code": "SJ0101", "source_key": f"ip-{n}"}
    args.update(kw)
    return services.report_submit(**args)[0]


def test_the_triage_queue_filtered_by_reason_holds_only_reports_with_that_reason(street):
    j = street["j"]
    unlocated = _submit(j, 1, lon=None, lat=None, address="不知道哪里")
    outside = _submit(j, 2, lon=OUTSIDE.x, lat=OUTSIDE.y)
    unsure = _submit(j, 3, category_code=None)
    both = _submit(j, 4, lon=None, lat=None, category_code=None)  # two reasons at once
    filed = _submit(j, 5)
    assert filed.status == ReportStatus.FILED
    assert both.triage_reasons == [TriageReason.UNLOCATED, TriageReason.LOW_CONFIDENCE]
    # A settled report keeps no reasons; one that still lists a reason but is no longer in triage is not queued.
    Report.objects.filter(pk=filed.pk).update(triage_reasons=[TriageReason.OUTSIDE])

    def queued(reason=None):
        return {r.pk for r in selectors.triage_queue(jurisdiction=j, reason=reason)}

    assert queued() == {unlocated.pk, outside.pk, unsure.pk, both.pk}
    assert queued(TriageReason.UNLOCATED) == {unlocated.pk, both.pk}
    assert queued(TriageReason.OUTSIDE) == {outside.pk}
    assert queued(TriageReason.LOW_CONFIDENCE) == {unsure.pk, both.pk}
    assert queued(TriageReason.DUPLICATE) == set()
    # Element match, not substring: a prefix of a reason matches nothing.
    assert queued("un") == set() and queued("unlocated_x") == set()

    op = Client()
    op.force_login(street["users"]["operator"])
    listed = op.get("/api/v1/triage", {"reason": "outside"}).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == outside.pk
    assert op.get("/api/v1/triage", {"reason": "low_confidence"}).json()["count"] == 2
    page = op.get("/triage/", {"reason": "unlocated"}).content.decode()
    assert unlocated.tracking_code in page and both.tracking_code in page
    assert outside.tracking_code not in page and unsure.tracking_code not in page
