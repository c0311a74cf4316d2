"""Pages of the 12345 import: upload + list, preview/progress (htmx polling), confirm, discard, results."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wangge.core.errors import ApplicationError, NotFound, PermissionDenied
from wangge.grids.selectors import jurisdiction_for_user
from wangge.intake import hotline, hotline_exports, hotline_services
from wangge.intake.hotline_models import HotlineImportStatus, RowAction

ROWS_PAGE = 50
FORMATS = ("xlsx", "csv")


def _jurisdiction(request):
    try:
        jurisdiction = jurisdiction_for_user(request.user)
        hotline_services.hotline_staff_check(actor=request.user, jurisdiction=jurisdiction)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    return jurisdiction


def _batch(request, jurisdiction, batch_id: int):
    try:
        return hotline_services.hotline_import_get(actor=request.user, jurisdiction=jurisdiction, batch_id=batch_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@require_http_methods(["GET", "POST"])
def index(request):
    jurisdiction = _jurisdiction(request)
    error, status = None, 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error, status = {"message": _("Choose the work-order export (xlsx or csv) to upload.")}, 400
        else:
            try:
                raw = upload.read(hotline_services.MAX_UPLOAD_BYTES + 1)
                batch = hotline_services.hotline_upload(jurisdiction=jurisdiction, actor=request.user,
                                                        filename=upload.name, raw=raw)
                return redirect("hotline:detail", batch_id=batch.pk)
            except ApplicationError as exc:
                error, status = {"message": exc.message, "code": exc.code, "details": exc.details}, exc.status
    imports = hotline_services.hotline_imports(actor=request.user, jurisdiction=jurisdiction)[:30]
    return render(request, "intake/hotline/index.html", {
        "imports": imports, "error": error, "fields": [(hotline.LABELS[f], s) for f, s in hotline.FIELDS.items()],
        "required": [hotline.LABELS[f] for f in hotline.REQUIRED],
    }, status=status)


def _detail_context(request, batch) -> dict:
    action = request.GET.get("action") or ""
    rows = batch.rows.order_by("line")
    if action in RowAction.values:
        rows = rows.filter(action=action)
    page = Paginator(rows.select_related(None).only(
        "line", "order_no", "action", "errors", "notes", "outcome", "data"), ROWS_PAGE).get_page(request.GET.get("page"))
    for r in page.object_list:  # in the reader's language
        r.error_texts = [hotline.note_text(e) for e in r.errors]
        r.note_texts = [hotline.note_text(n) for n in r.notes]
    return {
        "batch": batch, "page": page, "action": action, "actions": RowAction.choices,
        "can_commit": batch.status == HotlineImportStatus.PREVIEWED,
        "can_resume": batch.commit_requested_at is not None and (
            batch.status == HotlineImportStatus.FAILED
            or (batch.status == HotlineImportStatus.COMMITTING and hotline_services.hotline_import_stale(batch))),
        "can_discard": batch.commit_requested_at is None and (
            batch.status in (HotlineImportStatus.PREVIEWED, HotlineImportStatus.FAILED)
            or (batch.status in (HotlineImportStatus.QUEUED, HotlineImportStatus.PREVIEWING)
                and hotline_services.hotline_import_stale(batch))),
        "has_results": batch.commit_requested_at is not None,
    }


@login_required
@require_GET
def detail(request, batch_id: int):
    jurisdiction = _jurisdiction(request)
    batch = _batch(request, jurisdiction, batch_id)
    context = _detail_context(request, batch)
    if request.htmx and request.GET.get("partial") == "rows":
        return render(request, "intake/hotline/partials/rows.html", context)
    return render(request, "intake/hotline/detail.html", context)


@login_required
@require_GET
def progress(request, batch_id: int):
    """Polled by the page while a job runs; when the import leaves the state the page showed, reload it."""
    jurisdiction = _jurisdiction(request)
    batch = _batch(request, jurisdiction, batch_id)
    response = render(request, "intake/hotline/partials/progress.html", {"batch": batch})
    if request.htmx and request.GET.get("shown") and request.GET["shown"] != batch.status:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def commit(request, batch_id: int):
    jurisdiction = _jurisdiction(request)
    try:
        hotline_services.hotline_commit_request(jurisdiction=jurisdiction, actor=request.user, batch_id=batch_id)
        messages.success(request, _("Import confirmed: the orders are being written."))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
        batch = _batch(request, jurisdiction, batch_id)
        return render(request, "intake/hotline/detail.html", _detail_context(request, batch), status=exc.status)
    return redirect("hotline:detail", batch_id=batch_id)


@login_required
@require_POST
def discard(request, batch_id: int):
    jurisdiction = _jurisdiction(request)
    try:
        hotline_services.hotline_discard(jurisdiction=jurisdiction, actor=request.user, batch_id=batch_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("hotline:detail", batch_id=batch_id)
    return redirect("hotline:index")


@login_required
@require_GET
def template(request, fmt: str):
    """The import template: the columns the import reads, with three example orders of this street."""
    jurisdiction = _jurisdiction(request)
    if fmt not in FORMATS:
        raise Http404(_("Download as xlsx or csv."))
    rows = hotline_exports.hotline_template_rows(actor=request.user, jurisdiction=jurisdiction)
    if fmt == "xlsx":
        content = hotline.write_xlsx(rows, header=hotline.TEMPLATE_HEADER, sheet_name="12345工单")
        response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        content = hotline.write_csv(rows, header=hotline.TEMPLATE_HEADER)
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    name = f"12345工单导入模板.{fmt}"
    response["Content-Disposition"] = f"attachment; filename=12345-template.{fmt}; filename*=UTF-8''{quote(name)}"
    return response


@login_required
@require_GET
def results(request, batch_id: int, fmt: str):
    jurisdiction = _jurisdiction(request)
    batch = _batch(request, jurisdiction, batch_id)
    if fmt not in FORMATS:
        raise Http404(_("Download as xlsx or csv."))
    rows = hotline_exports.hotline_results(jurisdiction=jurisdiction, actor=request.user, batch_id=batch.pk)
    stem = f"12345-results-{batch.pk}"
    if fmt == "xlsx":
        content = hotline.write_xlsx(rows)
        response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        encoding = "gbk" if request.GET.get("encoding", "").lower() in ("gbk", "gb18030") else "utf-8-sig"
        content = hotline.write_csv(rows, encoding=encoding)
        charset = "gb18030" if encoding == "gbk" else "utf-8"
        response = HttpResponse(content, content_type=f"text/csv; charset={charset}")
    name = f"{stem}.{fmt}"
    response["Content-Disposition"] = f"attachment; filename={name}; filename*=UTF-8''{quote(name)}"
    return response
