"""Intake's batch path (imports): each report comes out as `report_submit` one after another would make it —
filed, joined (within the batch and to open cases), held for triage with its reasons, or refused with the same
error — while a batch costs a fixed number of queries whatever its size."""

import gc

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wangge.cases.models import Case, CaseCounter, CaseEvent, Notification
from wangge.core.errors import ApplicationError
from wangge.intake import batch, services
from wangge.intake.models import Report, ReportStatus, TriageReason
from wangge.intake.tests.conftest import IN_A, OUTSIDE
from wangge.intake.tests.test_hotline import street  # noqa: F401 - the street with its gazetteer
from wangge.routing import dedupe

I = batch.ReportIn  # noqa: E741 - short rows below
TRASH = "小区门口垃圾堆了好几天没人清理"
SHOPS = "沿街商铺跨门营业占用人行道"


def mixed() -> list[batch.ReportIn]:
    """A file's worth of every case: located by address and by GPS, unlocatable, outside, unclassified, sure and
    likely duplicates within the batch and of an open case, repeats of a key (same and different content), refused
    descriptions and categories, and a flood from one source (the rate is 2 in the test)."""
    return [
        I(TRASH + "了", address="长寿路7号", category_code="SJ0101", source_key="s1", idempotency_key="k1", external_id="1"),
        I(SHOPS, address="西康路5号", category_code="SJ0401", source_key="s2", idempotency_key="k2", external_id="2"),
        I(SHOPS + "！", address="西康路5号", category_code="SJ0401", source_key="s3", idempotency_key="k3"),
        I("跨门营业的商铺又把东西堆到外面了", address="西康路5号", category_code="SJ0401", source_key="s4"),
        I("某小区门口垃圾很多没人管", address="某小区门口", category_code="SJ0101", source_key="s5"),
        I("夜间施工噪声扰民影响休息", address="长寿路11号", source_key="s6"),
        I("绿化带里有人乱扔垃圾袋", lon=IN_A.x, lat=IN_A.y, category_code="SJ0101", source_key="s7", reporter_phone="13911112222"),
        I("路边有人焚烧树叶烟很大", lon=OUTSIDE.x, lat=OUTSIDE.y, category_code="SJ0101", source_key="s8"),
        I("短", address="长寿路9号", category_code="SJ0101", source_key="s9"),
        I("井盖缺失很危险", address="长寿路9号", category_code="NOPE", source_key="s10"),
        I(SHOPS, address="西康路5号", category_code="SJ0401", source_key="s2", idempotency_key="k2"),  # the same again
        I("完全不同的内容了", address="长寿路15号", category_code="SJ0101", source_key="s11", idempotency_key="old"),
        I("共享单车乱停堵住盲道一", address="长寿路25号", category_code="SJ0101", source_key="flood"),
        I("共享单车乱停堵住盲道二", address="长寿路27号", category_code="SJ0101", source_key="flood"),
        I("共享单车乱停堵住盲道三", address="长寿路29号", category_code="SJ0101", source_key="flood"),
        I("人行道破损老人容易绊倒", lon=IN_A.x, lat=IN_A.y, crs="bogus", category_code="SJ0101", source_key="s12"),
        I("绿化带里有人乱扔垃圾袋了", lon=IN_A.x, lat=IN_A.y + 0.00001, category_code="SJ0101", source_key="s13",
          idempotency_key="k13"),
    ]


def before(j):
    """What the street already has: an open case at 长寿路7号 and a report under the key `old`."""
    services.report_submit(jurisdiction=j, channel="hotline", description=TRASH, address="长寿路7号", category_code="SJ0101",
                           source_key="s0")
    services.report_submit(jurisdiction=j, channel="hotline", description="原来的内容", address="长寿路15号",
                           category_code="SJ0101", source_key="s0", idempotency_key="old")


def wipe():
    Report.objects.all().delete()
    Notification.objects.all().delete()
    Case.objects.exclude(merged_into=None).delete()
    Case.objects.all().delete()
    CaseCounter.objects.all().delete()


def one_by_one(j, items):
    out = []
    for it in items:
        try:
            report, created = services.report_submit(
                jurisdiction=j, channel="hotline", description=it.description, address=it.address, lon=it.lon, lat=it.lat,
                crs=it.crs, category_code=it.category_code, reporter_phone=it.reporter_phone,
                idempotency_key=it.idempotency_key, source_key=it.source_key, external_id=it.external_id)
            out.append(batch.Received(report, created))
        except ApplicationError as exc:  # a key used for other content: the batch also names its first report
            first = Report.objects.filter(idempotency_key=it.idempotency_key).first() if it.idempotency_key else None
            out.append(batch.Received(first if exc.code == "idempotency_mismatch" else None, error=exc))
    return out


def outcome(received: batch.Received) -> tuple:
    """What a report became, by values that do not depend on primary keys or random tracking codes."""
    error = received.error.code if received.error else None
    if received.report is None:
        return (error,)
    r = Report.objects.select_related("case", "duplicate_of", "category", "suggested_department").get(pk=received.report.pk)
    case = r.case
    return (error, received.created, r.description, r.status, r.triage_reasons, r.category and r.category.code,
            r.category_source, r.location_source, r.lon and round(r.lon, 7), r.lat and round(r.lat, 7), r.routing,
            r.suggested_department and r.suggested_department.code, r.duplicate_of and r.duplicate_of.code,
            r.duplicate_score, case and (case.code, case.state, case.version, case.duplicates, case.grid_id, case.units,
                                         case.suggested_department_id, case.reporter_phone, case.size, case.is_open))


def cases_now() -> list[tuple]:
    return [(c.code, c.state, c.version, c.merged_into and c.merged_into.code, c.duplicates,
             [(e.seq, e.action, e.from_state, e.to_state, e.actor_label, e.payload.get("into") or e.payload.get("case"))
              for e in c.events.all()],
             sorted(c.notifications.values_list("user__username", "kind")))
            for c in Case.objects.order_by("code").select_related("merged_into").prefetch_related("events")]


@override_settings(WANGGE_INTAKE_RATE="2/600")
def test_a_batch_comes_out_as_one_report_after_another(street):  # noqa: F811 - the imported fixture
    j = street["j"]
    before(j)
    expected = [outcome(r) for r in one_by_one(j, mixed())]
    expected_cases = cases_now()
    wipe()
    before(j)
    got = batch.reports_submit_batch(jurisdiction=j, channel="hotline", items=mixed())
    assert [outcome(r) for r in got] == expected
    assert cases_now() == expected_cases

    # And what that is, so the comparison compares something.
    status = [(r.report.status if r.report else None, r.error.code if r.error else None) for r in got]
    assert status[0] == (ReportStatus.JOINED, None) and got[0].report.case.code.endswith("-0001")  # the open case
    assert status[1] == (ReportStatus.FILED, None)
    assert status[2] == (ReportStatus.JOINED, None) and got[2].report.case == got[1].report.case  # within the batch
    assert status[3] == (ReportStatus.TRIAGE, None) and got[3].report.triage_reasons == [TriageReason.DUPLICATE]
    assert got[3].report.duplicate_of == got[1].report.case and 0.5 <= got[3].report.duplicate_score < 0.8
    assert got[4].report.triage_reasons == [TriageReason.UNLOCATED] and got[4].report.case is None  # never dropped
    assert got[5].report.triage_reasons == [TriageReason.LOW_CONFIDENCE]
    assert status[6] == (ReportStatus.FILED, None) and got[6].report.case.grid.code == "A"
    assert got[7].report.triage_reasons == [TriageReason.OUTSIDE]
    assert [s[1] for s in status[8:10]] == ["description_required", "unknown_category"]
    assert got[10].report == got[1].report and not got[10].created
    assert status[11] == (ReportStatus.FILED, "idempotency_mismatch") and got[11].report.description == "原来的内容"
    assert [s[1] for s in status[12:15]] == [None, None, "throttled"]
    assert status[15][1] == "invalid_coordinates"
    assert status[16] == (ReportStatus.JOINED, None) and got[16].report.case == got[6].report.case
    merged = Case.objects.get(pk=got[2].report.case_id).merged_cases.get()
    assert [e.action for e in merged.events.all()] == ["report", "merge"]


def _chunk(n: int, start: int) -> list[batch.ReportIn]:
    """n hotline-like orders: filed, unlocatable, unclassified and sure duplicates in fixed shares."""
    out = []
    for k in range(n):
        i = start + k
        kind = k % 5
        if kind == 0:
            out.append(I(f"路边垃圾堆放很久了第{i}次", address=f"长寿路{2 * (k % 20) + 1}号", category_code="SJ0101"))
        elif kind == 1:
            out.append(I(SHOPS, address=f"长寿路{2 * (k % 20) + 2}号", category_code="SJ0401"))
        elif kind == 2:
            out.append(I("某个地方有问题请处理", address="某小区门口", category_code="SJ0101"))
        elif kind == 3:
            out.append(I("夜间施工噪声扰民影响休息", address="西康路5号"))
        else:
            out.append(I(SHOPS, address=f"长寿路{2 * ((k - 3) % 20) + 2}号", category_code="SJ0401"))  # joins kind 1
    for k, it in enumerate(out):
        it.idempotency_key, it.source_key, it.external_id = f"hotline:{start + k}", f"src{start + k}", str(start + k)
    return out


@pytest.mark.parametrize("size", [10, 60])
def test_a_batch_costs_the_same_queries_whatever_its_size(street, size):  # noqa: F811 - the imported fixture
    j = street["j"]
    context: dict = {}
    warm = [I("夜间施工噪声扰民影响休息", address=f"长寿路{n}号", category_code="SJ0406", source_key=f"w{n}") for n in (3, 4)]
    batch.reports_submit_batch(jurisdiction=j, channel="hotline", items=warm, context=context)  # caches warm
    with CaptureQueriesContext(connection) as queries:
        got = batch.reports_submit_batch(jurisdiction=j, channel="hotline", items=_chunk(size, 1000), context=context)
    statuses = {r.report.status for r in got}
    assert statuses == {ReportStatus.FILED, ReportStatus.JOINED, ReportStatus.TRIAGE}
    assert Report.objects.filter(external_id__gte="1000").count() == size
    # Savepoint, reads (keys, repeats, throttle, categories, classifier, rules, layers, units, departments, open
    # cases), the counter, cases, events, notifications and their task, merges, reports; at most two version
    # checks of the territory and the gazetteer (once a second).
    assert len(queries) <= 32, "\n".join(q["sql"][:150] for q in queries.captured_queries)
    assert CaseEvent.objects.filter(action="merge").count() >= size // 5


def test_the_open_case_index_scores_like_the_duplicate_search(street):  # noqa: F811
    j = street["j"]
    before(j)
    case = Case.objects.get(description=TRASH)
    index = dedupe.OpenCaseIndex(jurisdiction_id=j.pk)
    for text, dx in ((TRASH, 0), ("垃圾", 0.0002), ("完全无关的一段话", 0.0004), (TRASH, 0.01)):
        want = [(c.case.pk, c.distance_m, c.similarity, c.score) for c in dedupe.duplicate_candidates(
            jurisdiction_id=j.pk, lon=case.lon + dx, lat=case.lat, category_id=case.category_id, text=text)]
        assert index.candidates(lon=case.lon + dx, lat=case.lat, category_id=case.category_id, text=text) == want
    assert index.candidates(lon=case.lon, lat=case.lat, category_id=case.category_id, text=TRASH)[0][3] >= 0.8
    # The bigrams of each case are one int, not a set: nothing per open case for the garbage collector to walk.
    masks = index._arrays[case.category_id][4]
    assert masks and all(type(m) is int and not gc.is_tracked(m) for m in masks)
    index.forget([case.pk])
    assert index.candidates(lon=case.lon, lat=case.lat, category_id=case.category_id, text=TRASH) == []

    # More than 20 within the radius: the same nearest 20 as the query's.
    from wangge.cases.batch import CaseDraft, cases_open_batch

    words = "东南西北上下左右前后里外"
    cases_open_batch(jurisdiction=j, drafts=[CaseDraft(
        channel="hotline", category_code="SJ0101", description=f"垃圾{words[k % 12]}{words[(k * 5) % 12]}堆放没人管",
        lon=case.lon + 0.00001 * (k + 1), lat=case.lat) for k in range(30)])  # no tie at the 20th
    index = dedupe.OpenCaseIndex(jurisdiction_id=j.pk)
    for text in (TRASH, "垃圾东南堆放没人管"):
        want = [(c.case.pk, c.distance_m, c.similarity, c.score) for c in dedupe.duplicate_candidates(
            jurisdiction_id=j.pk, lon=case.lon, lat=case.lat, category_id=case.category_id, text=text)]
        assert index.candidates(lon=case.lon, lat=case.lat, category_id=case.category_id, text=text) == want

    # A chunk asks twice at one place (what could take the report, then the best): the second answer, remembered,
    # is still right after cases nearby were forgotten (closed elsewhere) and new ones added in between.
    now = timezone.now()
    first = index.candidates(lon=case.lon, lat=case.lat, category_id=case.category_id, text=TRASH, now=now, limit=30)
    gone = [pk for pk, *_rest in first[:3]]
    index.forget(gone)
    index.add(pk=10**9, category_id=case.category_id, lon=case.lon, lat=case.lat, created_at=now, description=TRASH)
    again = index.candidates(lon=case.lon, lat=case.lat, category_id=case.category_id, text=TRASH, now=now, limit=30)
    Case.objects.filter(pk__in=gone).update(is_open=False)
    fresh = dedupe.OpenCaseIndex(jurisdiction_id=j.pk)
    fresh.add(pk=10**9, category_id=case.category_id, lon=case.lon, lat=case.lat, created_at=now, description=TRASH)
    assert again == fresh.candidates(lon=case.lon, lat=case.lat, category_id=case.category_id, text=TRASH, now=now, limit=30)
    assert again[0][0] == 10**9 and not set(gone) & {c[0] for c in again}
    assert {c[0] for c in again} - {c[0] for c in first} - {10**9}  # the nearest 20 refilled from beyond the first answer


@override_settings(WANGGE_INTAKE_RATE="2/600")
def test_a_channel_that_cannot_flood_is_not_throttled(street):  # noqa: F811
    """The hotline's sources are its orders (each checked by its idempotency key): its import counts no source."""
    j = street["j"]
    flood = [I(f"共享单车乱停堵住盲道{n}", address=f"长寿路{25 + 2 * n}号", category_code="SJ0101", source_key="flood")
             for n in range(3)]
    counted = batch.reports_submit_batch(jurisdiction=j, channel="hotline", items=flood)
    assert [r.error.code if r.error else None for r in counted] == [None, None, "throttled"]
    wipe()
    not_counted = batch.reports_submit_batch(jurisdiction=j, channel="hotline", items=flood, throttle=False)
    assert [r.error for r in not_counted] == [None] * 3 and Report.objects.count() == 3
