"""12345 hotline imports: upload → preview (a job) → confirm → commit (a job) → results back to the hotline.

- `hotline_upload` checks the file at once (readable, a spreadsheet, the required columns, at least one row):
  a bad file is refused with a 4xx and nothing is written. A good one is stored and a preview job queued.
- `hotline_preview` (job) validates every row and decides, per order number, new / update / unchanged /
  refused, with notes (where the address lands, which category), into `HotlineImportRow`s.
- `hotline_commit_request` + `hotline_commit` (job) write the orders chunk by chunk, each chunk one
  transaction: its new orders, their reports (through intake's batch path `reports_submit_batch`, which files,
  joins or triages each as `report_submit` would) and the rows marked done commit together or not at all. A crash leaves whole chunks; running the commit
  again finishes the rest (the rows know what is done, and the reports' idempotency keys make a retry safe).
  Chunks are claimed with SKIP LOCKED, so on PostgreSQL several workers can share one import. The cases it opens
  and merges notify nobody one by one: when the import is committed, its operators get one notice with the counts.
- `hotline_results` reads the orders' outcomes back in the hotline's layout (xlsx / csv in `hotline`).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, router, transaction
from django.db.models import Count, F, QuerySet
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from wangge.accounts.models import Role
from wangge.cases.models import Category, Channel
from wangge.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from wangge.core.models import Jurisdiction
from wangge.core.rows import insert_rows, instance_builder, update_rows
from wangge.intake import hotline
from wangge.intake.hotline_models import (
    HotlineImport,
    HotlineImportRow,
    HotlineImportStatus,
    HotlineOrder,
    RowAction,
)
from wangge.intake.models import Report

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
PREVIEW_CHUNK = 2000
# Orders per commit transaction, per database. On SQLite a chunk holds the database's one write lock (other users'
# writes wait up to busy_timeout), on PostgreSQL the day's case-number counter row: keep a chunk's transaction well
# under 1 s. The batch path costs a fixed ~30 queries a chunk plus about half a millisecond an order on SQLite
# (benchmarks/RESULTS.md §5): 1,000 orders hold SQLite's lock 0.55 s (median; at most 0.9 s) on 2 cores, what 500
# held before the per-order cost was halved. On PostgreSQL 500 orders take about 0.35 s, and 1,000 gained nothing.
COMMIT_CHUNK = {"sqlite": 1000, "postgresql": 500}
# SQLite's page cache for the commit job's connection while it commits (KiB; the default is 2,000): a chunk touches
# thousands of index pages of a database that grows by ~2.5 KB an order, and with the default cache most of them
# are read again through the OS for every chunk (RESULTS.md §5). Memory only, nothing about durability; restored
# when the commit ends.
COMMIT_SQLITE_CACHE_KIB = 64 * 1024
STALE_AFTER = timedelta(minutes=2)  # a committing import whose job has been silent this long may be resumed
S = HotlineImportStatus


class FileTooLarge(ApplicationError):
    status = 413
    code = "file_too_large"


# --------------------------------------------------------------------------------------------- access


def hotline_staff_check(*, actor, jurisdiction: Jurisdiction) -> None:
    """12345 work is the operations centre's: its operators and the jurisdiction's administrators."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Log in as an operator to import 12345 work orders."))
    if actor.is_superuser:
        return
    if actor.role not in (Role.OPERATOR, Role.ADMIN) or actor.jurisdiction_id != jurisdiction.pk:
        raise PermissionDenied(_("Only the operations centre imports 12345 work orders."))


def hotline_imports(*, actor, jurisdiction: Jurisdiction) -> QuerySet[HotlineImport]:
    hotline_staff_check(actor=actor, jurisdiction=jurisdiction)
    return HotlineImport.objects.filter(jurisdiction=jurisdiction).select_related("created_by", "commit_requested_by")


def hotline_import_get(*, actor, jurisdiction: Jurisdiction, batch_id: int) -> HotlineImport:
    batch = hotline_imports(actor=actor, jurisdiction=jurisdiction).filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(_("Import %(id)s not found.") % {"id": batch_id})
    return batch


# --------------------------------------------------------------------------------------------- jobs


def _queue_commits_with_us(task) -> bool:
    """A database task queue in our database: the job row commits (or rolls back) with our transaction."""
    try:
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover
        return False
    return isinstance(task.get_backend(), DatabaseBackend) and router.db_for_write(DBTaskResult) == router.db_for_write(HotlineImport)


def _enqueue(task, *args) -> None:
    if _queue_commits_with_us(task):
        task.enqueue(*args)
    else:  # tasks run elsewhere (or immediately): hand the job over once our rows are committed
        transaction.on_commit(lambda: task.enqueue(*args))


def _fail(batch_id: int, message: str) -> None:
    HotlineImport.objects.filter(pk=batch_id).update(status=S.FAILED, error=message[:2000], heartbeat_at=timezone.now(),
                                                     finished_at=timezone.now())


# --------------------------------------------------------------------------------------------- upload


@transaction.atomic
def hotline_upload(*, jurisdiction: Jurisdiction, actor, filename: str, raw: bytes) -> HotlineImport:
    """Check the file and queue its preview. A file that cannot be an export is refused here, before anything
    is written: 413 too large, 415 not a spreadsheet, 422 unreadable text, no rows, or required columns missing."""
    from wangge.intake.tasks import hotline_preview_task

    hotline_staff_check(actor=actor, jurisdiction=jurisdiction)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise FileTooLarge(_("The file is larger than %(mb)s MB; split the export.") % {"mb": MAX_UPLOAD_BYTES // 1024 // 1024})
    table = hotline.read_table(raw, filename=filename)
    columns = hotline.map_columns(table.header)
    if not any(not hotline._is_blank(row) for row in table.rows):
        raise hotline.FileRejected(_("The file has a header but no work orders below it."), code="empty_file")
    digest = hashlib.sha256(raw).hexdigest()
    batch = HotlineImport(
        jurisdiction=jurisdiction, filename=(filename or "upload")[:255], sha256=digest, size=len(raw),
        file_format=table.format, encoding=table.encoding, created_by=actor,
        columns={field: table.header[i] for field, i in columns.items()},
    )
    extension = {"xlsx": "xlsx", "xls": "xls", "ods": "ods"}.get(table.format, "csv")
    batch.file.save(f"{digest[:16]}.{extension}", ContentFile(raw), save=False)
    batch.save()
    _enqueue(hotline_preview_task, batch.pk)
    return batch


# --------------------------------------------------------------------------------------------- preview


def _read(batch: HotlineImport) -> bytes:
    with batch.file.open("rb") as f:
        return f.read()


def _minor_categories(jurisdiction: Jurisdiction) -> hotline.CategoryMatcher:
    return hotline.CategoryMatcher(Category.objects.filter(jurisdiction=jurisdiction, parent__isnull=False, active=True)
                                   .order_by("code").values_list("code", "name"))


def _order_values(data: dict) -> dict:
    return {
        "called_at": hotline.as_datetime(data.get("called_at")), "caller_name": data.get("caller_name", ""),
        "caller_phone": data.get("caller_phone", ""), "category_text": data.get("category_text", ""),
        "content": data.get("content", ""), "address": data.get("address", ""),
        "department_text": data.get("department_text", ""), "due_at": hotline.as_datetime(data.get("due_at")),
    }


FIELD_LABELS = {"called_at": "来电时间", "caller_name": "诉求人", "caller_phone": "联系电话", "category_text": "诉求类型",
                "content": "诉求内容", "address": "发生地址", "department_text": "承办单位", "due_at": "办结时限"}


def _existing_orders(jurisdiction: Jurisdiction, numbers: list[str]) -> dict[str, dict]:
    out = {}
    for i in range(0, len(numbers), 2000):
        for row in HotlineOrder.objects.filter(jurisdiction=jurisdiction, order_no__in=numbers[i:i + 2000]).values(
                "order_no", "report_id", *hotline.ORDER_FIELDS):
            out[row["order_no"]] = row
    return out


def hotline_preview(*, batch_id: int) -> HotlineImport:
    """The preview job: validate every row and decide what the commit will do. Re-running it starts over."""
    claimed = HotlineImport.objects.filter(pk=batch_id, status__in=[S.QUEUED, S.PREVIEWING]).update(
        status=S.PREVIEWING, heartbeat_at=timezone.now(), error="")
    batch = HotlineImport.objects.select_related("jurisdiction").get(pk=batch_id)
    if not claimed:
        return batch
    try:
        _preview(batch)
    except ApplicationError as exc:
        _fail(batch_id, exc.message)
    except Exception as exc:
        logger.exception("hotline preview %s failed", batch_id)
        _fail(batch_id, f"The preview stopped on an unexpected error ({exc.__class__.__name__}: {exc}); upload the file again.")
        raise
    batch.refresh_from_db()
    return batch


def _preview(batch: HotlineImport) -> None:
    from wangge.routing import gazetteer

    jurisdiction = batch.jurisdiction
    table = hotline.read_table(_read(batch), filename=batch.filename)
    columns = hotline.map_columns(table.header)
    rows = list(hotline.validate_rows(table.rows, columns, first_line=table.header_line + 1))
    if not rows:
        raise hotline.FileRejected(_("The file has a header but no work orders below it."), code="empty_file")
    HotlineImportRow.objects.filter(batch=batch).delete()
    HotlineImport.objects.filter(pk=batch.pk).update(progress_done=0, progress_total=len(rows), counts={})
    existing = _existing_orders(jurisdiction, sorted({r.order_no for r in rows if r.order_no}))
    matcher = _minor_categories(jurisdiction)
    names = dict(Category.objects.filter(jurisdiction=jurisdiction).values_list("code", "name"))
    index = gazetteer.gazetteer_index_get(jurisdiction=jurisdiction)
    counts: Counter = Counter(rows=len(rows), **dict.fromkeys(RowAction.values, 0), unlocated=0, classifier=0)
    for start in range(0, len(rows), PREVIEW_CHUNK):
        values = []
        for r in rows[start:start + PREVIEW_CHUNK]:
            current = existing.get(r.order_no) if not r.errors else None
            notes, done, outcome = [], False, ""
            if r.errors:
                action, done, outcome = RowAction.REFUSE, True, "refused"
            elif current is None:
                action, notes = RowAction.CREATE, _routing_notes(index, matcher, names, r.data, counts)
            else:
                new = _order_values(r.data)
                changed = [FIELD_LABELS[f] for f in hotline.ORDER_FIELDS if new[f] != current[f]]
                if changed:
                    action, notes = RowAction.UPDATE, [hotline.note(gettext_noop("Changed: %(fields)s"), fields="、".join(changed))]
                elif current["report_id"] is None:
                    action = RowAction.UPDATE
                    notes = [hotline.note(gettext_noop("Not received yet: it will be submitted again")),
                             *_routing_notes(index, matcher, names, r.data, counts)]
                else:
                    action, done, outcome = RowAction.UNCHANGED, True, "unchanged"
            counts[action] += 1
            values.append((batch.pk, r.line, r.order_no, str(action), r.errors, notes, r.data, done, outcome))
        _insert_rows(values)
        HotlineImport.objects.filter(pk=batch.pk).update(progress_done=F("progress_done") + len(values),
                                                         heartbeat_at=timezone.now())
    HotlineImport.objects.filter(pk=batch.pk, status=S.PREVIEWING).update(
        status=S.PREVIEWED, counts=dict(counts), finished_at=timezone.now(), heartbeat_at=timezone.now())


ROW_COLUMNS = ("batch", "line", "order_no", "action", "errors", "notes", "data", "done", "outcome")


def _insert_rows(values: list[tuple]) -> None:
    """INSERT … VALUES with executemany, from plain tuples in ROW_COLUMNS order. At 100k rows, bulk_create's
    model instances and per-value SQL compilation were a third of the preview's time. JSON columns are adapted
    as the backend wants them (text on SQLite, jsonb on PostgreSQL)."""
    fields = [HotlineImportRow._meta.get_field(name) for name in ROW_COLUMNS]
    qn = connection.ops.quote_name
    sql = (f"INSERT INTO {qn(HotlineImportRow._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(fields))})")  # names from the model, values as parameters
    adapt = connection.ops.adapt_json_value
    json_at = [i for i, f in enumerate(fields) if f.get_internal_type() == "JSONField"]
    params = []
    for row in values:
        row = list(row)
        for i in json_at:
            row[i] = adapt(row[i], None)
        params.append(row)
    with transaction.atomic(), connection.cursor() as cursor:  # one transaction, not one per row
        cursor.executemany(sql, params)


def _routing_notes(index, matcher, names: dict, data: dict, counts: Counter) -> list[dict]:
    notes = []
    hit = index.geocode(data["address"]) if data["address"] else None
    if hit is None:
        notes.append(hotline.note(gettext_noop("The address cannot be located: the order goes to triage.")))
        counts["unlocated"] += 1
    else:
        notes.append(hotline.note(gettext_noop("Address: %(matched)s (%(confidence)s)"), matched=hit.matched,
                                 confidence=f"{hit.confidence:.2f}"))
    code = matcher(data["category_text"])
    if code:
        notes.append(hotline.note(gettext_noop("Category: %(code)s %(name)s"), code=code, name=names.get(code, "")))
    else:
        notes.append(hotline.note(gettext_noop("Category: left to the classifier")))
        counts["classifier"] += 1
    return notes


# --------------------------------------------------------------------------------------------- commit


def hotline_import_stale(batch: HotlineImport) -> bool:
    return batch.heartbeat_at is None or timezone.now() - batch.heartbeat_at > STALE_AFTER


@transaction.atomic
def hotline_commit_request(*, jurisdiction: Jurisdiction, actor, batch_id: int) -> HotlineImport:
    """Confirm a previewed import (or resume one whose commit failed or stalled): queue the commit job."""
    from wangge.intake.tasks import hotline_commit_task

    hotline_staff_check(actor=actor, jurisdiction=jurisdiction)
    batch = HotlineImport.objects.select_for_update().filter(pk=batch_id, jurisdiction=jurisdiction).first()
    if batch is None:
        raise NotFound(_("Import %(id)s not found.") % {"id": batch_id})
    resumable = batch.commit_requested_at is not None and (
        batch.status == S.FAILED or (batch.status == S.COMMITTING and hotline_import_stale(batch)))
    if batch.status == S.COMMITTING and not resumable:
        raise Conflict(_("This import is being committed right now."), code="already_running")
    if batch.status != S.PREVIEWED and not resumable:
        raise Conflict(_("This import is %(status)s: there is nothing to commit.") % {"status": str(S(batch.status).label).lower()},
                       code="not_previewed")
    actionable = batch.rows.filter(action__in=[RowAction.CREATE, RowAction.UPDATE])
    batch.progress_total = actionable.count()
    batch.progress_done = actionable.filter(done=True).count()
    batch.status, batch.error, batch.heartbeat_at, batch.finished_at = S.COMMITTING, "", timezone.now(), None
    if batch.commit_requested_at is None:
        batch.commit_requested_by, batch.commit_requested_at = actor, timezone.now()
    batch.save()
    for _job in range(max(1, int(getattr(settings, "WANGGE_HOTLINE_COMMIT_JOBS", 1)))):
        _enqueue(hotline_commit_task, batch.pk)
    return batch


def commit_chunk() -> int:
    """Orders per commit transaction on this database (COMMIT_CHUNK)."""
    return COMMIT_CHUNK.get(connection.vendor, 500)


def hotline_commit(*, batch_id: int, chunk_size: int | None = None) -> HotlineImport:
    """The commit job: chunk after chunk until every row is done (or the import stops committing)."""
    context: dict = {}
    chunk_size = chunk_size or commit_chunk()
    try:
        with _sqlite_cache(COMMIT_SQLITE_CACHE_KIB):
            while _commit_chunk(batch_id, chunk_size, context):
                pass
    except Exception as exc:
        logger.exception("hotline commit %s failed", batch_id)
        _fail(batch_id, f"The import stopped ({exc.__class__.__name__}: {exc}). Whole chunks were kept; "
                        f"commit again to finish the rest.")
        raise
    if not HotlineImportRow.objects.filter(batch_id=batch_id, done=False).exists():
        counts = HotlineImport.objects.filter(pk=batch_id).values_list("counts", flat=True).first() or {}
        outcomes = dict(HotlineImportRow.objects.filter(batch_id=batch_id).values_list("outcome").annotate(n=Count("id"))
                        .values_list("outcome", "n"))
        counts = {**{k: v for k, v in counts.items() if not k.startswith("outcome_")},
                  **{f"outcome_{k}": v for k, v in outcomes.items() if k}}
        with transaction.atomic():
            if HotlineImport.objects.filter(pk=batch_id, status=S.COMMITTING).update(
                    status=S.COMMITTED, counts=counts, finished_at=timezone.now(), heartbeat_at=timezone.now(),
                    progress_done=F("progress_total")):  # only the job that finished it (several may share one)
                _notify_committed(HotlineImport.objects.get(pk=batch_id), outcomes)
    return HotlineImport.objects.get(pk=batch_id)


def _notify_committed(batch: HotlineImport, outcomes: dict[str, int]) -> None:
    """One notice to the operators (and whoever confirmed the commit) for the whole import: its cases were opened
    and merged without a notice each (100,000 orders are not 100,000 messages to every operator's phone)."""
    from wangge.cases import notify

    template = gettext_noop("12345 import #%(id)s (%(file)s) committed: %(filed)s filed, %(joined)s joined to open "
                            "cases, %(triage)s waiting in triage, %(updated)s known orders updated, %(failed)s not received.")
    args = {"id": batch.pk, "file": batch.filename[:80], "filed": outcomes.get("filed", 0),
            "joined": outcomes.get("joined", 0), "triage": outcomes.get("triage", 0), "updated": outcomes.get("updated", 0),
            "failed": outcomes.get("failed", 0) + outcomes.get("rejected", 0)}
    notify.operators_notify(jurisdiction_id=batch.jurisdiction_id, kind="hotline_import", template=template, args=args,
                            also=[batch.commit_requested_by_id] if batch.commit_requested_by_id else [])


@contextmanager
def _sqlite_cache(kib: int) -> Iterator[None]:
    """This connection's SQLite page cache at `kib` for the block, then as it was (other databases: nothing)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


@dataclass(slots=True)
class _ChunkRow:
    """An import row as the commit reads and writes it: its values, not a model instance (a large import has
    100,000 of them, and building and freeing instances was a twentieth of the commit)."""

    pk: int
    order_no: str
    action: str
    data: dict
    errors: list
    done: bool = False
    outcome: str = ""
    order_id: int | None = None


def _commit_chunk(batch_id: int, chunk_size: int, context: dict) -> bool:
    """Commit the next chunk of rows in one transaction. False when there is nothing (left) to do."""
    with transaction.atomic():
        batch = HotlineImport.objects.select_related("jurisdiction").filter(pk=batch_id).first()
        if batch is None or batch.status != S.COMMITTING:
            return False
        rows = [_ChunkRow(*values) for values in HotlineImportRow.objects.select_for_update(skip_locked=True)
                .filter(batch_id=batch_id, done=False).order_by("line")
                .values_list("pk", "order_no", "action", "data", "errors")[:chunk_size]]
        if not rows:
            return False
        if "matcher" not in context:
            context["matcher"] = _minor_categories(batch.jurisdiction)
        _write_rows(batch, rows, context["matcher"], context)
        _update_rows(rows)
        done = sum(1 for r in rows if r.action in (RowAction.CREATE, RowAction.UPDATE))
        HotlineImport.objects.filter(pk=batch_id).update(  # a progress counter never fails a chunk: capped
            progress_done=Least(F("progress_done") + done, F("progress_total")), heartbeat_at=timezone.now())
    return True


def _update_rows(rows: list[_ChunkRow]) -> None:
    """The rows' done, outcome, order and errors: one UPDATE by primary key, executemany (bulk_update's CASE per
    column and row was a third of a chunk's time at 500 rows)."""
    fields = [HotlineImportRow._meta.get_field(name) for name in ("done", "outcome", "order", "errors")]
    qn = connection.ops.quote_name
    sql = (f"UPDATE {qn(HotlineImportRow._meta.db_table)} SET "  # noqa: S608 - names from the model, values as parameters
           f"{', '.join(f'{qn(f.column)} = %s' for f in fields)} WHERE {qn(HotlineImportRow._meta.pk.column)} = %s")
    adapt = connection.ops.adapt_json_value
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(r.done, r.outcome, r.order_id, adapt(r.errors, None), r.pk) for r in rows])


def _write_rows(batch: HotlineImport, rows: list[_ChunkRow], matcher: hotline.CategoryMatcher,
                context: dict) -> None:
    jurisdiction = batch.jurisdiction
    current = {o.order_no: o for o in HotlineOrder.objects.filter(jurisdiction=jurisdiction,
                                                                   order_no__in=[r.order_no for r in rows])}
    new_orders, changed_orders, outcome = [], [], {}
    new_order = instance_builder(HotlineOrder)
    for r in rows:
        values = _order_values(r.data)
        order = current.get(r.order_no)
        if order is None:  # new (or new since the preview: another import may have written it meanwhile)
            order = current[r.order_no] = new_order(jurisdiction=jurisdiction, order_no=r.order_no,
                                                       last_import=batch, **values)
            new_orders.append(order)
            outcome[r.order_no] = "created"
        else:
            if any(getattr(order, f) != v for f, v in values.items()):
                for f, v in values.items():
                    setattr(order, f, v)
                outcome[r.order_no] = "updated"
            else:
                outcome[r.order_no] = "unchanged"
            order.last_import = batch
            changed_orders.append(order)
    now = timezone.now()
    for order in changed_orders:
        order.updated_at = now
    waiting = []
    for r in rows:
        order = current[r.order_no]
        r.done = True
        if order.report_id is None:
            waiting.append((r, order))
        else:
            r.outcome = outcome[r.order_no]
    for (r, order), (report, error) in zip(waiting, _submit_all(jurisdiction, [o for _row, o in waiting], matcher, context),
                                           strict=True):
        if report is None:
            r.outcome, r.errors = "failed", [*r.errors, error]
            continue
        order.report = report
        r.outcome = report.status  # filed / joined / triage / rejected
    # The new orders written with their reports, the known ones updated: one INSERT and one executemany UPDATE.
    insert_rows(HotlineOrder, new_orders)
    update_rows(HotlineOrder, changed_orders, [*hotline.ORDER_FIELDS, "last_import", "updated_at", "report"])
    for r in rows:
        r.order_id = current[r.order_no].pk


def _source_key(jurisdiction: Jurisdiction, order_no: str) -> str:
    """Each work order is its own source: two orders with the same words are still two calls (the repeat
    window of intake must not fold them into one report); 并单 of real duplicates is routing's job. The number as
    written, not a hash: order numbers grow with time, so a chunk's keys go to the end of the reports' source index
    (a hash put each on a page of its own: one more page written per order). A number too long for the column
    (64) is hashed. No person is behind the key, and the street is the index's first column anyway."""
    key = f"hotline:{order_no}"
    return key if len(key) <= 64 else "hotline#" + hashlib.sha256(f"{jurisdiction.pk}|{order_no}".encode()).hexdigest()[:32]


def _submit_all(jurisdiction: Jurisdiction, orders: list[HotlineOrder], matcher: hotline.CategoryMatcher,
                context: dict) -> list[tuple[Report | None, str]]:
    """The orders' reports through intake's batch path (what `report_submit` would do with each, in a few
    queries for the whole chunk): (report, "") or (None, why it was not received)."""
    from wangge.intake import batch as intake_batch

    items = [intake_batch.ReportIn(
        description=order.content[:hotline.MAX_CONTENT], address=order.address, category_code=matcher(order.category_text),
        reporter_name=order.caller_name, reporter_phone=order.caller_phone, idempotency_key=f"hotline:{order.order_no}",
        source_key=_source_key(jurisdiction, order.order_no), external_id=order.order_no,
    ) for order in orders]
    results = intake_batch.reports_submit_batch(jurisdiction=jurisdiction, channel=Channel.HOTLINE, items=items,
                                                context=context, notify_each=False, throttle=False)
    out = []
    for received in results:
        if received.error is None:
            out.append((received.report, ""))
        elif received.error.code == "idempotency_mismatch" and received.report is not None:
            out.append((received.report, ""))  # the order was filed before (and has changed since): keep its first report
        else:
            out.append((None, received.error.message))
    return out


# --------------------------------------------------------------------------------------------- discard


@transaction.atomic
def hotline_discard(*, jurisdiction: Jurisdiction, actor, batch_id: int) -> HotlineImport:
    hotline_staff_check(actor=actor, jurisdiction=jurisdiction)
    batch = HotlineImport.objects.select_for_update().filter(pk=batch_id, jurisdiction=jurisdiction).first()
    if batch is None:
        raise NotFound(_("Import %(id)s not found.") % {"id": batch_id})
    if batch.commit_requested_at is not None or batch.status not in (S.QUEUED, S.PREVIEWING, S.PREVIEWED, S.FAILED):
        raise Conflict(_("Only an import that was not committed can be discarded."), code="already_committed")
    if batch.status in (S.QUEUED, S.PREVIEWING) and not hotline_import_stale(batch):
        raise Conflict(_("The preview is running; wait for it, or discard it if it stalls."), code="already_running")
    batch.rows.all().delete()
    batch.status, batch.finished_at = S.DISCARDED, timezone.now()
    batch.save(update_fields=["status", "finished_at"])
    return batch
