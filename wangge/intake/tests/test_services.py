"""Intake: every report is filed, joined or held for triage — never dropped — and routing decides which."""

import pytest
from django.test import override_settings

from conftest import metres
from wangge.cases.models import Case, Category
from wangge.cases.services import case_act
from wangge.core.errors import ApplicationError, Conflict, PermissionDenied
from wangge.core.images import clean_image
from wangge.intake import services
from wangge.intake.models import Report, ReportStatus, TriageReason
from wangge.intake.tests.conftest import IN_A, OUTSIDE
from wangge.routing.models import RoutingRule


def png(color=(200, 30, 30)) -> bytes:
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (64, 48), color).save(buf, format="PNG")
    return buf.getvalue()


def submit(j, **kw):
    args = {"jurisdiction": j, "channel": "resident", "description": "小区门口垃圾桶满溢，气味很大", "lon": IN_A.x,
            "lat": IN_A.y, "category_code": "SJ0101", "source_key": "ip-1"}
    args.update(kw)
    return services.report_submit(**args)


def test_a_located_categorised_report_becomes_a_case_with_its_photos(street):
    report, created = submit(street["j"], photos=[clean_image(png())], reporter_phone="13911112222")
    assert created and report.status == ReportStatus.FILED and report.triage_reasons == []
    case = report.case
    assert case.state == "reported" and case.grid.code == "A" and case.category.code == "SJ0101"
    assert case.reporter_phone == "13911112222"
    assert case.attachments.filter(kind="report").count() == 1
    assert len(report.tracking_code) == 9 and report.tracking_code[4] == "-"


def test_no_location_goes_to_triage_and_the_operator_files_it_with_a_pin(street):
    report, _ = submit(street["j"], lon=None, lat=None, address="不知道哪里")
    assert report.status == ReportStatus.TRIAGE and report.case is None
    assert report.triage_reasons == [TriageReason.UNLOCATED]
    with pytest.raises(ApplicationError) as err:
        services.report_triage_file(report_id=report.pk, actor=street["users"]["operator"])
    assert err.value.code == "location_required"
    point = metres(700, 200, 701, 201).centroid  # grid B
    report = services.report_triage_file(report_id=report.pk, actor=street["users"]["operator"], lon=point.x, lat=point.y)
    assert report.status == ReportStatus.FILED and report.case.grid.code == "B"
    assert report.resolved_by == street["users"]["operator"] and report.location_source == "operator"
    # An operator filing a resident's report does not become its reporter.
    assert report.case.reporter_user is None


def test_outside_the_street_is_kept_in_triage_and_a_rejection_keeps_its_reason(street):
    report, _ = submit(street["j"], lon=OUTSIDE.x, lat=OUTSIDE.y)
    assert report.status == ReportStatus.TRIAGE and report.triage_reasons == [TriageReason.OUTSIDE]
    assert Report.objects.filter(pk=report.pk).exists() and not Case.objects.exists()
    with pytest.raises(ApplicationError) as err:
        services.report_triage_file(report_id=report.pk, actor=street["users"]["operator"])
    assert err.value.code == "outside_jurisdiction"
    with pytest.raises(ApplicationError):
        services.report_triage_reject(report_id=report.pk, actor=street["users"]["operator"], reason=" ")
    with pytest.raises(PermissionDenied):
        services.report_triage_reject(report_id=report.pk, actor=street["users"]["worker"], reason="不归本街道")
    report = services.report_triage_reject(report_id=report.pk, actor=street["users"]["operator"], reason="不归本街道")
    assert report.status == ReportStatus.REJECTED and report.resolution_note == "不归本街道"
    with pytest.raises(Conflict):
        services.report_triage_reject(report_id=report.pk, actor=street["users"]["operator"], reason="again")


def test_an_uncategorised_report_without_a_model_waits_for_the_operator_to_classify(street):
    report, _ = submit(street["j"], category_code=None)
    assert report.triage_reasons == [TriageReason.LOW_CONFIDENCE] and report.category is None
    with pytest.raises(ApplicationError) as err:
        services.report_triage_file(report_id=report.pk, actor=street["users"]["operator"])
    assert err.value.code == "category_required"
    report = services.report_triage_file(report_id=report.pk, actor=street["users"]["operator"], category_code="SJ0101")
    assert report.status == ReportStatus.FILED and report.category_source == "operator"


def test_grid_worker_patrol_reports_skip_triage(street):
    report, _ = submit(street["j"], channel="patrol", actor=street["users"]["worker"], source_key="")
    assert report.status == ReportStatus.FILED and report.case.channel == "patrol"


def test_a_sure_duplicate_joins_the_open_case_and_a_likely_one_asks_the_operator(street):
    j = street["j"]
    first, _ = submit(j, source_key="ip-1")
    near = metres(110, 305, 111, 306).centroid  # ~11 m away
    second, _ = submit(j, lon=near.x, lat=near.y, description="小区门口的垃圾桶满溢了，气味很大", source_key="ip-2")
    assert second.status == ReportStatus.JOINED and second.case == first.case
    first.case.refresh_from_db()
    assert first.case.duplicates == 1
    assert Case.objects.get(reports__tracking_code=second.tracking_code) == first.case
    own = Case.objects.get(merged_into=first.case)
    assert own.state == "merged" and own.events.last().actor_label == "system"

    far = metres(115, 312, 116, 313).centroid  # ~19 m away, other words: likely, not sure
    third, _ = submit(j, lon=far.x, lat=far.y, description="垃圾没人清理", source_key="ip-3")
    assert third.status == ReportStatus.TRIAGE and third.triage_reasons == [TriageReason.DUPLICATE]
    assert third.case is not None and third.duplicate_of == first.case
    assert settings_between(third.duplicate_score)
    third = services.report_triage_duplicate(report_id=third.pk, actor=street["users"]["operator"], merge=True)
    assert third.status == ReportStatus.JOINED and third.case == first.case


def settings_between(score):
    from django.conf import settings

    return settings.WANGGE_DEDUPE_ASK <= score < settings.WANGGE_DEDUPE_AUTO


def test_keeping_a_likely_duplicate_separate_leaves_its_own_case(street):
    j = street["j"]
    submit(j, source_key="ip-1")
    far = metres(115, 312, 116, 313).centroid
    third, _ = submit(j, lon=far.x, lat=far.y, description="垃圾没人清理", source_key="ip-3")
    third = services.report_triage_duplicate(report_id=third.pk, actor=street["users"]["operator"], merge=False)
    assert third.status == ReportStatus.FILED and third.case.state == "reported"


def test_the_reporter_can_join_an_open_case_instead_of_filing_again(street):
    j = street["j"]
    first, _ = submit(j)
    joined, _ = submit(j, description="同一个问题，垃圾桶", category_code=None, join_case_code=first.case.code, source_key="ip-9")
    assert joined.status == ReportStatus.JOINED and joined.case == first.case
    far = metres(900, 900, 901, 901).centroid
    with pytest.raises(ApplicationError) as err:
        submit(j, lon=far.x, lat=far.y, description="另一个地方", join_case_code=first.case.code, source_key="ip-8")
    assert err.value.code == "join_too_far"


def test_idempotency_key_and_quick_repeats_never_make_two_reports(street):
    j = street["j"]
    one, created = submit(j, idempotency_key="k-1")
    again, created_again = submit(j, idempotency_key="k-1")
    assert created and not created_again and one.pk == again.pk
    with pytest.raises(Conflict):
        submit(j, idempotency_key="k-1", description="完全不同的另一件事情")
    repeat, created = submit(j, description="小区门口垃圾桶满溢，气味很大 ")
    assert not created and repeat.pk == one.pk
    assert Report.objects.count() == 1 and Case.objects.count() == 1


@override_settings(WANGGE_INTAKE_RATE="3/600")
def test_a_flood_from_one_source_is_throttled_with_429(street):
    j = street["j"]
    for i in range(3):
        submit(j, description=f"第{i}件事情，路灯不亮", lon=None, lat=None, source_key="flood")
    with pytest.raises(services.Throttled) as err:
        submit(j, description="第四件事情，路灯不亮", lon=None, lat=None, source_key="flood")
    assert err.value.status == 429
    assert Report.objects.filter(source_key="flood").count() == 3
    submit(j, description="别人的报告，路灯不亮", lon=None, lat=None, source_key="someone-else")  # others are not blocked


@pytest.mark.parametrize("lon,lat", [("abc", 31.2), (float("nan"), 31.2), (500, 31.2), (121.4, None)])
def test_bad_coordinates_are_refused_and_nothing_is_written(street, lon, lat):
    with pytest.raises(ApplicationError) as err:
        submit(street["j"], lon=lon, lat=lat)
    assert err.value.code == "invalid_coordinates"
    assert not Report.objects.exists()


def test_responsibility_rules_are_data_and_the_default_is_territory_first(street):
    j = street["j"]
    urban = street["departments"]["urban"]
    report, _ = submit(j)  # SJ0101 (urban management): no layer unit has a department, so by kind
    assert report.suggested_department == urban and report.routing["rule"] == "kind:urban_management"
    assert report.case.suggested_department == urban
    category = Category.objects.get(jurisdiction=j, code="SJ0101")
    police = street["departments"]["police"]
    rule = RoutingRule.objects.create(jurisdiction=j, category=category.parent, department=police)
    other = metres(700, 700, 701, 701).centroid
    report, _ = submit(j, lon=other.x, lat=other.y, description="另一处垃圾桶满了", source_key="ip-5")
    assert report.suggested_department == police and report.routing["rule"] == f"rule:{rule.pk}"


def test_the_reporter_rates_the_closed_case_by_tracking_code(street):
    j, users = street["j"], street["users"]
    report, _ = submit(j, idempotency_key="rate-1")
    with pytest.raises(Conflict):
        services.report_rate(code=report.tracking_code, rating="satisfied")
    case = report.case
    urban = street["departments"]["urban"]
    for action, actor, payload, reason in [
        ("accept", users["operator"], {}, ""), ("dispatch", users["operator"], {"lead_department_id": urban.pk}, ""),
        ("sign", users["handler"], {}, ""), ("feedback", users["handler"], {}, "已清运"),
        ("verify_pass", users["worker"], {}, ""), ("close", users["operator"], {}, ""),
    ]:
        case_act(case_id=case.pk, actor=actor, action=action, payload=payload, reason=reason)
    with pytest.raises(ApplicationError):
        services.report_rate(code=report.tracking_code, rating="great")
    case = services.report_rate(code=report.tracking_code.lower(), rating="satisfied", comment="很快")
    assert case.state == "evaluated" and case.rating == "satisfied"
    with pytest.raises(Conflict):
        services.report_rate(code=report.tracking_code, rating="unsatisfied")


def test_tracking_codes_are_uniform_over_the_readable_alphabet():
    """Codes are read out over the phone: only CODE_ALPHABET (no 0/O, 1/I/L), 4-4, and every character as likely as
    the others (40 random bits drawn at once, again when past the last of the 31⁸ codes: no code is favoured)."""
    from collections import Counter

    from wangge.intake.models import CODE_ALPHABET, new_tracking_code

    codes = [new_tracking_code() for _ in range(20000)]
    assert all(len(c) == 9 and c[4] == "-" and set(c[:4] + c[5:]) <= set(CODE_ALPHABET) for c in codes)
    assert len(set(codes)) >= len(codes) - 2  # 31⁸ codes: two equal among 20,000 happens once in ~4,000 runs
    seen = Counter(ch for c in codes for ch in c if ch != "-")
    assert set(seen) == set(CODE_ALPHABET)
    expected = 8 * len(codes) / len(CODE_ALPHABET)  # ~5,161 each, σ ≈ 1.4 %; 40 bits % 31⁸ without the redraw: ~20 % off
    assert all(abs(n - expected) < 0.06 * expected for n in seen.values()), seen
