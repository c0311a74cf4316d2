"""12345 work orders: upload → preview job → commit job → a case handled to closure → results back; re-imports
update without duplicating; bad files are refused with a clear 4xx and change nothing; only the operations
centre may import; a crashed commit keeps whole chunks and a re-run finishes it."""

import csv
import importlib.util
import io
import sys
import types
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import xlsxwriter
from django.db import IntegrityError, connection, transaction
from django.test import Client, override_settings
from django.utils import translation
from python_calamine import CalamineWorkbook

from wangge.accounts.models import User
from wangge.cases.models import Case, Notification
from wangge.cases.services import case_act
from wangge.cases.tests.conftest import loop  # noqa: F401 - the case-loop fixture, shared
from wangge.core.errors import Conflict, PermissionDenied
from wangge.intake import hotline, hotline_services
from wangge.intake.hotline_models import HotlineImport, HotlineImportRow, HotlineOrder
from wangge.intake.models import Report, ReportStatus
from wangge.routing import gazetteer
from wangge.routing.tests.test_gazetteer import rows as address_rows

SH = ZoneInfo("Asia/Shanghai")
HEADER = ["工单编号", "来电时间", "诉求人/电话", "诉求类型", "诉求内容", "发生地址", "承办单位", "办结时限"]
# Ways the same 长寿路 / 西康路 places are written (the gazetteer in test_gazetteer.rows knows them).
ADDRESSES = ["长寿路7号", "上海市普陀区长寿路11号", "长寿路１５号", "长寿路二十三弄二号", "长寿路23弄4号502室", "长寿街33号",
             "长寿路 9 号", "长寿路西康路口", "西康路5号", "西康路十一号近长寿路", "长寿路21号", "长寿路23弄1支弄1号"]
CATEGORIES = ["暴露垃圾", "市容环境-暴露垃圾", "占道经营", "街面秩序>非机动车乱停放", "噪声扰民", "道路破损（坑洼）", "咨询其他"]
CONTENTS = ["小区门口垃圾堆了好几天没人清理，气味很大", "沿街商铺跨门营业占用人行道", "非机动车乱停放堵住了盲道",
            "夜间施工噪声扰民影响休息", "人行道破损，老人容易绊倒", "路边有人焚烧树叶烟很大"]


@pytest.fixture(autouse=True)
def classifier_boundary(monkeypatch):
    """Routing's text classifier is faked at its boundary when it is not installed: it has no model (None)."""
    if importlib.util.find_spec("wangge.routing.classify") is None:
        stub = types.ModuleType("wangge.routing.classify")
        stub.classify_text = lambda **kw: None
        monkeypatch.setitem(sys.modules, "wangge.routing.classify", stub)
        import wangge.routing

        monkeypatch.setattr(wangge.routing, "classify", stub, raising=False)


@pytest.fixture
def street(loop):  # noqa: F811 - the shared fixture
    gazetteer.gazetteer_invalidate()
    gazetteer.gazetteer_import(jurisdiction=loop["j"], rows=address_rows())
    return loop


def orders(n=50, *, start=2511200001, broken=True, seed=0):
    """Realistic hotline rows (as cell values): varied addresses, categories, callers and date formats; with
    `broken`, three bad rows (no content, an unreadable call time, a duplicate number) and two unlocatable."""
    out = []
    t0 = datetime(2025, 11, 20, 8, 30, tzinfo=SH)
    for i in range(n):
        k = i + seed
        called = t0 + timedelta(minutes=37 * i)
        when = [called.replace(tzinfo=None), called.strftime("%Y-%m-%d %H:%M:%S"), called.strftime("%Y/%m/%d %H:%M"),
                called.strftime("%Y年%m月%d日 %H时%M分")][k % 4]
        caller = [f"张先生/1391234{k:04d}", f"李女士 138-1234-{k:04d}", f"1370000{k:04d}"][k % 3]
        address = ADDRESSES[k % len(ADDRESSES)]
        content = f"{CONTENTS[k % len(CONTENTS)]}（第{k + 1}次来电）"
        due = ["5个工作日", (called + timedelta(days=3)).strftime("%Y-%m-%d 17:00"), "24小时"][k % 3]
        out.append([str(start + i), when, caller, CATEGORIES[k % len(CATEGORIES)], content, address, "长寿路街道", due])
    if broken:
        out[3][4] = ""  # empty content
        out[8][1] = "昨天下午"  # unreadable call time
        out[12][0] = out[11][0]  # a duplicate order number
    if broken and n > 30:
        out[20][5] = "某小区门口"  # unlocatable
        out[30][5] = ""  # no address at all
    return out


def as_xlsx(rows, header=HEADER) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet("工单")
    sheet.write(0, 0, "12345市民服务热线工单导出（长寿路街道）")
    sheet.write_row(1, 0, header)
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value, when)
            else:
                sheet.write_string(r, c, value)
    book.close()
    return buf.getvalue()


def as_csv(rows, encoding, header=HEADER) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(header)
    for row in rows:
        w.writerow([v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else v for v in row])
    return buf.getvalue().encode(encoding)


FILES = {
    "xlsx": lambda rows: ("工单导出.xlsx", as_xlsx(rows)),
    "csv-utf8-bom": lambda rows: ("工单导出.csv", as_csv(rows, "utf-8-sig")),
    "csv-gbk": lambda rows: ("工单导出.csv", as_csv(rows, "gbk")),
}


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def upload(client, name, raw, capture):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with capture(execute=True):
        return client.post("/hotline/", {"file": SimpleUploadedFile(name, raw)})


def nothing_written():
    return not (HotlineImport.objects.exists() or HotlineOrder.objects.exists() or Report.objects.exists()
                or Case.objects.exists())


def read_xlsx(content: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


# --------------------------------------------------------------------------------------------- the round trip


@pytest.mark.parametrize("kind", list(FILES))
def test_import_handle_export_and_reimport(street, kind, django_capture_on_commit_callbacks):
    u, d = street["users"], street["departments"]
    op = login(u["operator"])
    name, raw = FILES[kind](orders())
    response = upload(op, name, raw, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    batch = HotlineImport.objects.get()
    assert batch.status == "previewed" and batch.file_format == ("xlsx" if kind == "xlsx" else "csv")
    assert batch.encoding == {"xlsx": "", "csv-utf8-bom": "utf-8-sig", "csv-gbk": "gbk"}[kind]
    assert batch.counts["rows"] == 50 and batch.counts["create"] == 47 and batch.counts["refuse"] == 3
    assert batch.counts["unlocated"] == 2 and batch.counts["classifier"] > 0
    with translation.override("zh-hans"):
        refused = {r.line: [hotline.note_text(e) for e in r.errors] for r in batch.rows.filter(action="refuse")}
    first = 3 if kind == "xlsx" else 2  # the xlsx export starts with a title line
    assert set(refused) == {first + 3, first + 8, first + 12}
    assert refused[first + 3][0] == "诉求内容为空" and refused[first + 8][0].startswith("来电时间无法识别：")
    assert refused[first + 12][0] == f"工单编号与第 {first + 11} 行重复"
    assert not HotlineOrder.objects.exists() and not Report.objects.exists()  # a preview writes no order

    page = op.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "hotline-commit" in html and "诉求内容为空" in html
    assert op.get(f"{response['Location']}?action=refuse&page=1", HTTP_HX_REQUEST="true").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        assert op.post(f"/hotline/{batch.pk}/commit/").status_code == 302
    batch.refresh_from_db()
    assert batch.status == "committed" and batch.progress_done == batch.progress_total == 47
    assert HotlineOrder.objects.count() == 47 and Report.objects.filter(channel="hotline").count() == 47
    assert batch.counts["outcome_refused"] == 3
    unlocated = [r for r in Report.objects.filter(status=ReportStatus.TRIAGE) if "unlocated" in r.triage_reasons]
    assert {r.external_id for r in unlocated} >= {"2511200021", "2511200031"}
    filed = Report.objects.filter(status=ReportStatus.FILED, category__code="SJ0101").exclude(case=None).first()
    assert filed is not None and filed.case.channel == "hotline" and filed.location_source == "address"
    order = HotlineOrder.objects.get(report=filed)
    assert order.caller_phone and order.called_at is not None and order.due_at is not None

    # The operators hear about the import once, with its outcome, not once per case opened or merged.
    notes = Notification.objects.filter(user__jurisdiction=street["j"])
    assert not notes.filter(kind__in=["report", "absorb"]).exists()
    operators = set(User.objects.filter(jurisdiction=street["j"], role="operator", is_active=True))
    assert operators and {n.user for n in notes.filter(kind="hotline_import")} == operators
    summary = notes.get(user=u["operator"], kind="hotline_import")
    outcome = {k: batch.counts.get(f"outcome_{k}", 0) for k in ("filed", "joined", "triage")}
    assert summary.case is None and sum(outcome.values()) == 47 and summary.message.startswith(f"12345 工单导入 #{batch.pk}（")
    assert f"立案 {outcome['filed']} 件，并入在办案件 {outcome['joined']} 件，待分拣 {outcome['triage']} 件" in summary.message

    # Handle the case to closure (结案) through the case loop.
    case = filed.case
    for user, action, reason, payload in [
        (u["operator"], "accept", "", {}), (u["operator"], "dispatch", "", {"lead_department_id": d["urban"].pk}),
        (u["handler"], "sign", "", {}), (u["handler"], "feedback", "已清运垃圾并冲洗地面", {}),
        (u["operator"], "verify_pass", "", {}), (u["operator"], "close", "", {}),
    ]:
        case_act(case_id=case.pk, actor=user, action=action, reason=reason, payload=payload)
    case.refresh_from_db()
    assert case.state == "closed"

    xlsx = op.get(f"/hotline/{batch.pk}/results.xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = read_xlsx(xlsx.content)
    assert sheet[0] == list(hotline.RESULT_HEADER) and len(sheet) == 51
    row = next(r for r in sheet if r[0] == order.order_no)
    assert row[1] == "已清运垃圾并冲洗地面" and row[3] == "城管中队" and row[4] == "已办结"
    assert isinstance(row[2], datetime) and abs(row[2] - case.closed_at.astimezone(SH).replace(tzinfo=None)) < timedelta(seconds=1)
    assert any(r[4].startswith("待分拣（地址无法定位") for r in sheet)
    assert any(r[4].startswith("未导入：诉求内容为空") for r in sheet)
    for fmt, encoding in (("csv", "utf-8-sig"), ("csv?encoding=gbk", "gb18030")):
        text = op.get(f"/hotline/{batch.pk}/results.{fmt}").content.decode(encoding)
        assert next(r for r in csv.reader(io.StringIO(text)) if r[0] == order.order_no)[1:5:3] == ["已清运垃圾并冲洗地面", "已办结"]

    # The same orders again, one changed: updated, never duplicated, no second case.
    changed = orders()
    i = int(order.order_no) - 2511200001
    changed[i][4] = "垃圾已经清走了，但是又有人倒了"
    cases_before, reports_before = Case.objects.count(), Report.objects.count()
    name, raw = FILES[kind](changed)
    second = upload(op, name, raw, django_capture_on_commit_callbacks)
    batch2 = HotlineImport.objects.get(pk=int(second["Location"].strip("/").split("/")[-1]))
    assert (batch2.counts["create"], batch2.counts["update"], batch2.counts["unchanged"], batch2.counts["refuse"]) == (0, 1, 46, 3)
    (note,) = batch2.rows.get(action="update").notes
    with translation.override("zh-hans"):
        assert hotline.note_text(note) == "更新：诉求内容"
    with translation.override("en"):
        assert hotline.note_text(note) == "Changed: 诉求内容"
    with django_capture_on_commit_callbacks(execute=True):
        op.post(f"/hotline/{batch2.pk}/commit/")
    batch2.refresh_from_db()
    assert batch2.status == "committed"
    assert (Case.objects.count(), Report.objects.count(), HotlineOrder.objects.count()) == (cases_before, reports_before, 47)
    order.refresh_from_db()
    assert order.content == "垃圾已经清走了，但是又有人倒了" and order.report == filed and order.last_import == batch2
    assert "更新已有工单 1 件" in Notification.objects.filter(user=u["operator"], kind="hotline_import").first().message
    assert "已办结" in op.get(f"/hotline/{batch2.pk}/results.csv").content.decode("utf-8-sig")

    listing = op.get("/hotline/").content.decode()
    assert f"/hotline/{batch.pk}/results.xlsx" in listing and f"/hotline/{batch2.pk}/" in listing


# --------------------------------------------------------------------------------------------- bad files


def test_missing_columns_are_named_in_a_422(street, django_capture_on_commit_callbacks):
    op = login(street["users"]["operator"])
    header = ["工单号", "来电人", "手机", "问题类别", "反映情况"]  # no content or address column under a known name
    raw = as_csv([["1", "张三", "13900000000", "暴露垃圾", "垃圾很多"]], "utf-8", header=header)
    response = upload(op, "orders.csv", raw, django_capture_on_commit_callbacks)
    html = response.content.decode()
    error = html[html.index('id="hotline-error"'):]
    error = error[: error.index("</div>")]
    assert response.status_code == 422 and "诉求内容" in error and "发生地址" in error and "工单编号、" not in error
    assert nothing_written()


def test_a_refused_file_is_explained_in_the_operators_language(monkeypatch):
    """The operator's page is Chinese: the reasons go through gettext (they were English only)."""
    monkeypatch.setattr(hotline, "_", lambda text: f"«{text}»")
    with pytest.raises(hotline.UnsupportedFile) as info:
        hotline.read_table(b"\xff\xd8\xff\xe0 a photo", filename="orders.jpg")
    assert info.value.message.startswith("«This is a «JPEG image», not a spreadsheet")
    with pytest.raises(hotline.FileRejected) as info:
        hotline.map_columns(["工单号", "来电人"])
    assert info.value.message.startswith("«Required columns are missing") and info.value.code == "missing_columns"


@pytest.mark.parametrize(("name", "raw", "status", "code"), [
    ("empty.csv", b"", 422, "empty_file"),
    ("blank.csv", b"\r\n \r\n", 422, "empty_file"),
    ("header-only.csv", "工单编号,诉求内容,发生地址\r\n".encode("gbk"), 422, "empty_file"),
    ("garbage.csv", bytes(range(128, 256)) * 40, 422, "undecodable"),
    ("binary.csv", b"\x01\x02\x00\x00\xff" * 100, 415, "unsupported_file"),
    ("photo.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, 415, "unsupported_file"),
    ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", 415, "unsupported_file"),
    ("fake.xlsx", b"PK\x03\x04" + b"not really a zip" * 20, 415, "unsupported_file"),
])
def test_bad_files_are_refused_and_nothing_is_written(street, name, raw, status, code, django_capture_on_commit_callbacks):
    op = login(street["users"]["operator"])
    response = upload(op, name, raw, django_capture_on_commit_callbacks)
    assert response.status_code == status, response.content.decode()[:500]
    assert 'id="hotline-error"' in response.content.decode()
    with pytest.raises(hotline.FileRejected if status == 422 else hotline.UnsupportedFile) as err:
        hotline_services.hotline_upload(jurisdiction=street["j"], actor=street["users"]["operator"], filename=name, raw=raw)
    assert err.value.code == code
    assert nothing_written()


def test_no_file_is_a_400(street):
    assert login(street["users"]["operator"]).post("/hotline/", {}).status_code == 400
    assert nothing_written()


# --------------------------------------------------------------------------------------------- who may


def test_only_operators_and_admins_of_the_street_import(street, django_capture_on_commit_callbacks):
    u = street["users"]
    name, raw = FILES["csv-gbk"](orders(5, broken=False))
    for role in ("worker", "handler", "leader"):
        c = login(u[role])
        assert c.get("/hotline/").status_code == 403
        assert upload(c, name, raw, django_capture_on_commit_callbacks).status_code == 403
    assert nothing_written()
    assert Client().get("/hotline/").status_code == 302  # to the login page
    assert login(u["admin"]).get("/hotline/").status_code == 200
    upload(login(u["operator"]), name, raw, django_capture_on_commit_callbacks)
    batch = HotlineImport.objects.get()
    for role in ("worker", "handler"):
        c = login(u[role])
        assert c.get(f"/hotline/{batch.pk}/").status_code == 403
        assert c.post(f"/hotline/{batch.pk}/commit/").status_code == 403
        assert c.get(f"/hotline/{batch.pk}/results.xlsx").status_code == 403
    with pytest.raises(PermissionDenied):
        hotline_services.hotline_commit_request(jurisdiction=street["j"], actor=u["handler"], batch_id=batch.pk)
    assert not HotlineOrder.objects.exists()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_template_previews_as_three_new_located_orders(street, fmt, django_capture_on_commit_callbacks):
    """下载模板: the columns the import reads, with example orders at the street's own addresses and in its
    categories; uploaded unchanged, every row is created, located and classified as the example says."""
    u = street["users"]
    op = login(u["operator"])
    response = op.get(f"/hotline/template.{fmt}")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    sheet = read_xlsx(response.content) if fmt == "xlsx" else [
        r.split(",") for r in response.content.decode("utf-8-sig").splitlines()]
    assert tuple(sheet[0]) == hotline.TEMPLATE_HEADER and len(sheet) == 4
    assert "template" in op.get("/hotline/").content.decode()
    assert upload(op, f"模板.{fmt}", response.content, django_capture_on_commit_callbacks).status_code == 302
    batch = HotlineImport.objects.get()
    assert batch.counts["rows"] == 3 and batch.counts["create"] == 3
    assert batch.counts.get("unlocated", 0) == batch.counts.get("classifier", 0) == 0
    with translation.override("zh-hans"):
        notes = [[hotline.note_text(n) for n in r.notes] for r in batch.rows.order_by("line")]
    assert [n[1].split()[0] for n in notes] == ["类别：SJ0101", "类别：BJ0105", "类别：SJ0401"]
    assert all(n[0].startswith("地址：") for n in notes)
    for role in ("worker", "handler", "leader"):
        assert login(u[role]).get(f"/hotline/template.{fmt}").status_code == 403
    assert op.get("/hotline/template.pdf").status_code == 404
    assert op.get(f"/hotline/{batch.pk}/results.pdf").status_code == 404


# --------------------------------------------------------------------------------------------- the jobs


def test_the_jobs_go_through_the_tasks_api(street, django_capture_on_commit_callbacks):
    from django.tasks import task_backends

    from wangge.intake.tasks import hotline_commit_task, hotline_preview_task

    op = street["users"]["operator"]
    name, raw = FILES["xlsx"](orders(8, broken=False))
    with override_settings(TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}):
        with django_capture_on_commit_callbacks(execute=True):
            batch = hotline_services.hotline_upload(jurisdiction=street["j"], actor=op, filename=name, raw=raw)
        queued = task_backends["default"].results
        assert [(r.task.name, r.args) for r in queued] == [(hotline_preview_task.name, [batch.pk])]
        batch.refresh_from_db()
        assert batch.status == "queued"
        page = login(op).get(f"/hotline/{batch.pk}/")
        assert 'hx-trigger="every 1s"' in page.content.decode()  # the page polls while the job waits
        assert hotline_preview_task.call(batch.pk)["status"] == "previewed"
        with django_capture_on_commit_callbacks(execute=True):
            hotline_services.hotline_commit_request(jurisdiction=street["j"], actor=op, batch_id=batch.pk)
        assert [r.task.name for r in task_backends["default"].results][-1] == hotline_commit_task.name
        progress = login(op).get(f"/hotline/{batch.pk}/progress/?shown=previewed", HTTP_HX_REQUEST="true")
        assert progress.status_code == 200 and progress["HX-Refresh"] == "true" and "<progress" in progress.content.decode()
        with pytest.raises(Conflict):  # a second confirmation while it runs
            hotline_services.hotline_commit_request(jurisdiction=street["j"], actor=op, batch_id=batch.pk)
        assert hotline_commit_task.call(batch.pk)["status"] == "committed"
    assert HotlineOrder.objects.count() == 8


def test_a_crash_mid_commit_keeps_whole_chunks_and_a_rerun_finishes(street, monkeypatch, django_capture_on_commit_callbacks):
    from wangge.intake import batch as intake_batch

    op = street["users"]["operator"]
    name, raw = FILES["csv-utf8-bom"](orders(30, broken=False))
    with django_capture_on_commit_callbacks(execute=True):
        batch = hotline_services.hotline_upload(jurisdiction=street["j"], actor=op, filename=name, raw=raw)
    monkeypatch.setattr(hotline_services, "COMMIT_CHUNK", {connection.vendor: 10})
    real, calls = intake_batch.reports_submit_batch, {"n": 0}

    def flaky(**kw):  # the third chunk dies after its reports and cases are written
        calls["n"] += 1
        result = real(**kw)
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return result

    monkeypatch.setattr(intake_batch, "reports_submit_batch", flaky)
    with django_capture_on_commit_callbacks(execute=True):  # the job fails (the backend records the error)
        hotline_services.hotline_commit_request(jurisdiction=street["j"], actor=op, batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == "failed" and "commit again" in batch.error
    # Two whole chunks, nothing of the third.
    assert HotlineOrder.objects.count() == 20 and Report.objects.count() == 20
    assert batch.rows.filter(done=True).count() == 20 and batch.progress_done == 20
    assert "hotline-resume" in login(op).get(f"/hotline/{batch.pk}/").content.decode()
    monkeypatch.setattr(intake_batch, "reports_submit_batch", real)
    with django_capture_on_commit_callbacks(execute=True):
        assert login(op).post(f"/hotline/{batch.pk}/commit/").status_code == 302
    batch.refresh_from_db()
    assert batch.status == "committed" and batch.progress_done == batch.progress_total == 30
    assert HotlineOrder.objects.count() == 30 and Report.objects.count() == 30
    assert HotlineOrder.objects.filter(report=None).count() == 0


def test_the_commit_gives_sqlite_a_larger_page_cache_and_restores_it(street, monkeypatch, django_capture_on_commit_callbacks):
    op = street["users"]["operator"]
    name, raw = FILES["csv-utf8-bom"](orders(3, broken=False))
    with django_capture_on_commit_callbacks(execute=True):
        batch = hotline_services.hotline_upload(jurisdiction=street["j"], actor=op, filename=name, raw=raw)

    def cache_size():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            return cursor.fetchone()[0]

    real, seen = hotline_services._commit_chunk, []

    def chunk(*args, **kwargs):
        seen.append(cache_size() if connection.vendor == "sqlite" else "other")
        return real(*args, **kwargs)

    monkeypatch.setattr(hotline_services, "_commit_chunk", chunk)
    before = cache_size() if connection.vendor == "sqlite" else None
    with django_capture_on_commit_callbacks(execute=True):
        hotline_services.hotline_commit_request(jurisdiction=street["j"], actor=op, batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == "committed" and seen
    if connection.vendor == "sqlite":
        assert set(seen) == {-hotline_services.COMMIT_SQLITE_CACHE_KIB} != {before}
        assert cache_size() == before


def test_order_numbers_are_unique_per_street_in_the_database(street):
    HotlineOrder.objects.create(jurisdiction=street["j"], order_no="X1", content="内容内容")
    with pytest.raises(IntegrityError), transaction.atomic():
        HotlineOrder.objects.create(jurisdiction=street["j"], order_no="X1", content="别的内容")


def test_discard_a_preview(street, django_capture_on_commit_callbacks):
    op = login(street["users"]["operator"])
    name, raw = FILES["csv-gbk"](orders(5, broken=False))
    upload(op, name, raw, django_capture_on_commit_callbacks)
    batch = HotlineImport.objects.get()
    assert op.post(f"/hotline/{batch.pk}/discard/").status_code == 302
    batch.refresh_from_db()
    assert batch.status == "discarded" and not batch.rows.exists()
    assert op.post(f"/hotline/{batch.pk}/commit/").status_code == 409
    assert not HotlineOrder.objects.exists()


# --------------------------------------------------------------------------------------------- pure functions


def test_header_synonyms_map_to_our_fields():
    header = ["序号", "工单号", "受理时间", "来电人", "手机", "问题类别", "问题描述", "事发地址", "处理部门", "办理时限"]
    assert hotline.map_columns(header) == {"order_no": 1, "called_at": 2, "caller_name": 3, "caller_phone": 4,
                                           "category": 5, "content": 6, "address": 7, "department": 8, "due_at": 9}
    cols = hotline.map_columns(["编号", "联系人", "联系电话", "诉求分类", "反映内容", "地址", "承办部门", "要求办结时间"])
    assert set(cols) == {"order_no", "caller_name", "caller_phone", "category", "content", "address", "department", "due_at"}
    cols = hotline.map_columns([" 工单编号* ", "诉求内容（必填）", "发生地址", "诉求人/电话"])
    assert cols["caller_name"] == cols["caller_phone"] == 3
    with pytest.raises(hotline.FileRejected) as err:
        hotline.map_columns(["工单编号", "诉求人"])
    assert err.value.details["missing"] == ["诉求内容", "发生地址"]


@pytest.mark.parametrize(("value", "expected"), [
    ("2025-11-20 09:31:00", datetime(2025, 11, 20, 9, 31, tzinfo=SH)),
    ("2025/11/20 9:31", datetime(2025, 11, 20, 9, 31, tzinfo=SH)),
    ("2025年11月20日 9时31分", datetime(2025, 11, 20, 9, 31, tzinfo=SH)),
    ("2025-11-20", datetime(2025, 11, 20, tzinfo=SH)),
    ("20251120093100", datetime(2025, 11, 20, 9, 31, tzinfo=SH)),
    ("２０２５－１１－２０　０９：３１", datetime(2025, 11, 20, 9, 31, tzinfo=SH)),
    (45981.39652777778, datetime(2025, 11, 20, 9, 31, tzinfo=SH)),
    ("45981.39652777778", datetime(2025, 11, 20, 9, 31, tzinfo=SH)),
    (datetime(2025, 11, 20, 9, 31), datetime(2025, 11, 20, 9, 31, tzinfo=SH)),
    ("", None), (None, None),
])
def test_call_times_as_exports_write_them(value, expected):
    assert hotline.parse_datetime(value) == expected


@pytest.mark.parametrize("value", ["昨天下午", "2025-13-40", "12:30", "2025-11-20 25:00", 12.5])
def test_unreadable_times_are_errors(value):
    with pytest.raises(ValueError):
        hotline.parse_datetime(value)


def test_deadlines_callers_and_categories():
    called = datetime(2025, 11, 20, 9, 0, tzinfo=SH)  # a Thursday
    assert hotline.parse_due("24小时", called) == called + timedelta(hours=24)
    assert hotline.parse_due("3天", called) == called + timedelta(days=3)
    assert hotline.parse_due("3个工作日", called).date().isoformat() == "2025-11-24"  # 7 office hours a day, over the weekend
    assert hotline.split_caller("张先生/13812345678") == ("张先生", "13812345678")
    assert hotline.split_caller("李女士 138-1234-5678") == ("李女士", "13812345678")
    assert hotline.split_caller("13700001111") == ("", "13700001111")
    assert hotline.split_caller("王阿姨") == ("王阿姨", "")
    match = hotline.CategoryMatcher([("SJ0101", "暴露垃圾"), ("SJ0401", "占道经营（跨门营业）"), ("SJ0203", "道路破损")])
    assert [match(t) for t in ("暴露垃圾", "市容环境-暴露垃圾", "街面秩序>占道经营", "跨门营业", "道路破损（坑洼）",
                               "sj0203", "咨询其他", "")] == ["SJ0101", "SJ0101", "SJ0401", "SJ0401", "SJ0203", "SJ0203", None, None]


def test_row_errors_and_notes_are_shown_in_the_readers_language_and_sent_back_in_the_streets(
        street, django_capture_on_commit_callbacks):
    op = login(street["users"]["operator"])
    name, raw = FILES["csv-utf8-bom"](orders(15))
    location = upload(op, name, raw, django_capture_on_commit_callbacks)["Location"]
    op.cookies["django_language"] = "en"
    english = op.get(f"{location}?action=refuse").content.decode()
    assert "No content (诉求内容)." in english and "The same order number as line 13." in english
    assert "诉求内容为空" not in english
    op.cookies["django_language"] = "zh-hans"
    chinese = op.get(f"{location}?action=refuse").content.decode()
    assert "诉求内容为空" in chinese and "No content" not in chinese
    batch = HotlineImport.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        op.post(f"/hotline/{batch.pk}/commit/")
    op.cookies["django_language"] = "en"  # the file goes back to the hotline in Chinese whoever downloads it
    rows = read_xlsx(op.get(f"/hotline/{batch.pk}/results.xlsx").content)
    assert "未导入：诉求内容为空" in [r[4] for r in rows]
    assert hotline.note_text("a job's error, stored as text") == "a job's error, stored as text"
    assert hotline.note_text({"msg": "Changed: %(fields)s", "args": {}}) == "Changed: %(fields)s"  # never a 500


def test_rows_flag_duplicates_and_keep_the_first():
    cols = hotline.map_columns(HEADER)
    rows = orders(15)
    result = list(hotline.validate_rows(rows, cols))
    assert [r.line for r in result if r.errors] == [5, 10, 14]
    assert result[11].order_no == result[12].order_no and not result[11].errors
    assert result[0].data["caller_name"] == "张先生" and result[1].data["caller_phone"] == "13812340001"


def test_row_model_keeps_line_order(street):
    batch = HotlineImport.objects.create(jurisdiction=street["j"], filename="x.csv", sha256="0", file_format="csv")
    HotlineImportRow.objects.bulk_create([HotlineImportRow(batch=batch, line=n, action="create") for n in (3, 2)])
    assert list(batch.rows.values_list("line", flat=True)) == [2, 3]
