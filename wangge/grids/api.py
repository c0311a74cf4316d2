"""Territory endpoints: thin wrappers over selectors and services."""

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from ninja import File, Form, Query, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile

from wangge.core.errors import ApplicationError, PermissionDenied
from wangge.grids import exports, imports, selectors
from wangge.grids.models import ImportBatch
from wangge.grids.schemas import GridCardOut, GridListOut, ImportOut, LayerOut, MergeRunOut
from wangge.grids.tasks import merge_recompute_task

router = Router(tags=["territory"])
MAX_PAGE = 500
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _jurisdiction(request: HttpRequest, code: str | None = None):
    return selectors.jurisdiction_for_user(request.user, code)


def _require_admin(request: HttpRequest) -> None:
    if not request.user.is_territory_admin:
        raise PermissionDenied(_("Only territory administrators may do this."))


def _bbox(raw: str | None):
    if not raw:
        return None
    try:
        parts = tuple(float(p) for p in raw.split(","))
    except ValueError as exc:
        raise ApplicationError(_("bbox must be four numbers: min_lon,min_lat,max_lon,max_lat.")) from exc
    if len(parts) != 4 or parts[0] > parts[2] or parts[1] > parts[3]:
        raise ApplicationError(_("bbox must be four numbers: min_lon,min_lat,max_lon,max_lat."))
    return parts


class GridFilter(Schema):
    jurisdiction: str | None = None
    offset: int = 0
    limit: int = 100
    q: str | None = None


@router.get("/grids", response=GridListOut, summary="List the grids you may see")
def grid_list(request, filters: Query[GridFilter]):
    qs = selectors.grids_visible_to(user=request.user, jurisdiction=_jurisdiction(request, filters.jurisdiction))
    if filters.q:
        qs = qs.filter(Q(code__icontains=filters.q) | Q(name__icontains=filters.q))
    limit = max(1, min(filters.limit, MAX_PAGE))
    offset = max(0, filters.offset)
    return {"count": qs.count(), "items": list(qs.order_by("code")[offset : offset + limit])}


@router.get("/grids/geojson", summary="Grids as GeoJSON for the map (simplified per zoom)")
@decorate_view(gzip_page)  # GeoJSON compresses ~7×; these responses carry no secrets
def grid_geojson(
    request, zoom: int | None = None, bbox: str | None = None, crs: str = "wgs84", jurisdiction: str | None = None
):
    if zoom is not None and not 0 <= zoom <= 22:
        raise ApplicationError(_("zoom must be between 0 and 22."))
    text = selectors.grids_feature_collection(
        user=request.user, jurisdiction=_jurisdiction(request, jurisdiction), zoom=zoom, bbox=_bbox(bbox), crs=crs
    )
    return HttpResponse(text, content_type="application/geo+json; charset=utf-8")


@router.get("/grids/export.geojson", summary="Export the grids you may see as GeoJSON")
@decorate_view(gzip_page)  # GeoJSON compresses ~7×; these responses carry no secrets
def grid_export_geojson(request, jurisdiction: str | None = None):
    qs = selectors.grids_visible_to(user=request.user, jurisdiction=_jurisdiction(request, jurisdiction))
    response = JsonResponse(exports.grids_geojson(grids=qs), json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = 'attachment; filename="grids.geojson"'
    return response


@router.get("/grids/export.csv", summary="Export the grids you may see as CSV")
def grid_export_csv(request, jurisdiction: str | None = None):
    qs = selectors.grids_visible_to(user=request.user, jurisdiction=_jurisdiction(request, jurisdiction))
    body = exports.grids_csv(grids=qs, mask_phones=not request.user.is_jurisdiction_wide)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="grids.csv"'
    return response


@router.get("/grids/{code}", response=GridCardOut, summary="One grid: team, layer coverage, warnings")
def grid_detail(request, code: str, jurisdiction: str | None = None):
    j = _jurisdiction(request, jurisdiction)
    return selectors.grid_card(user=request.user, grid=selectors.grid_get_for_user(user=request.user, jurisdiction=j, code=code))


@router.get("/layers", response=list[LayerOut], summary="Departmental layers")
def layer_list(request, jurisdiction: str | None = None):
    qs = selectors.layers_for_jurisdiction(jurisdiction=_jurisdiction(request, jurisdiction)).annotate(n=Count("units"))
    return [
        {"id": layer.id, "code": layer.code, "name": layer.name, "kind": layer.kind, "tiling": layer.tiling,
         "department": layer.department.name if layer.department else None, "units": layer.n}
        for layer in qs
    ]


@router.get("/layers/{code}/units", summary="A layer's units as GeoJSON")
@decorate_view(gzip_page)  # GeoJSON compresses ~7×; these responses carry no secrets
def layer_units(request, code: str, zoom: int | None = None, crs: str = "wgs84", jurisdiction: str | None = None):
    layer = selectors.layer_get(jurisdiction=_jurisdiction(request, jurisdiction), code=code)
    fc = selectors.layer_feature_collection(layer=layer, zoom=zoom, crs=crs)
    return JsonResponse(fc, json_dumps_params={"ensure_ascii": False})


@router.get("/layers/{code}/export.geojson", summary="Export a layer as GeoJSON")
@decorate_view(gzip_page)  # GeoJSON compresses ~7×; these responses carry no secrets
def layer_export(request, code: str, jurisdiction: str | None = None):
    layer = selectors.layer_get(jurisdiction=_jurisdiction(request, jurisdiction), code=code)
    response = JsonResponse(exports.layer_geojson(layer=layer), json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="layer-{code}.geojson"'
    return response


@router.get("/merge/report", summary="多格合一 merge report: coverage shares, gaps, overlaps, slivers")
def merge_report(request, crs: str = "wgs84", jurisdiction: str | None = None):
    if not request.user.is_jurisdiction_wide:
        raise PermissionDenied(_("The merge report is for the operations centre, leaders and administrators."))
    return selectors.merge_report(jurisdiction=_jurisdiction(request, jurisdiction), crs=crs)


@router.get("/merge/report.csv", summary="Merge report as CSV")
def merge_report_csv(request, jurisdiction: str | None = None):
    if not request.user.is_jurisdiction_wide:
        raise PermissionDenied(_("The merge report is for the operations centre, leaders and administrators."))
    report = selectors.merge_report(jurisdiction=_jurisdiction(request, jurisdiction))
    response = HttpResponse(exports.merge_report_csv(report=report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="merge-report.csv"'
    return response


@router.post("/merge/recompute", response={202: MergeRunOut}, summary="Recompute the merge in the background")
def merge_recompute(request, jurisdiction: str | None = None):
    _require_admin(request)
    result = merge_recompute_task.enqueue(_jurisdiction(request, jurisdiction).pk)
    return Status(202, {"task_id": str(result.id), "status": str(result.status)})


def _import_out(batch: ImportBatch) -> dict:
    return {
        "id": batch.pk, "kind": batch.kind, "layer_code": batch.layer_code, "filename": batch.filename, "crs": batch.crs,
        "status": batch.status, "features": len(batch.features), "repaired": batch.repaired, "diff": batch.diff,
        "created_at": batch.created_at.isoformat(),
    }


@router.post("/imports", response={201: ImportOut}, summary="Upload a GeoJSON file: validate and preview the diff")
def import_create(
    request,
    file: File[UploadedFile],
    kind: Form[str],
    layer_code: Form[str] = "",
    layer_name: Form[str] = "",
    layer_kind: Form[str] = "",
    crs: Form[str] = "",
    repair: Form[bool] = False,
    jurisdiction: Form[str] = "",
):
    _require_admin(request)
    if file.size > MAX_UPLOAD_BYTES:
        raise ApplicationError(_("The file is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
                               code="file_too_large")
    batch = imports.import_preview(
        jurisdiction=_jurisdiction(request, jurisdiction or None), user=request.user, kind=kind, raw=file.read(),
        filename=file.name or "", crs=crs or None, repair=repair, layer_code=layer_code, layer_name=layer_name,
        layer_kind=layer_kind,
    )
    return Status(201, _import_out(batch))


@router.get("/imports/{batch_id}", response=ImportOut, summary="An import and its diff")
def import_detail(request, batch_id: int, jurisdiction: str | None = None):
    _require_admin(request)
    return _import_out(selectors.import_batch_get(jurisdiction=_jurisdiction(request, jurisdiction), batch_id=batch_id))


@router.post("/imports/{batch_id}/actions/commit", response=ImportOut, summary="Apply a previewed import")
def import_commit(request, batch_id: int, jurisdiction: str | None = None):
    _require_admin(request)
    return _import_out(imports.import_commit(jurisdiction=_jurisdiction(request, jurisdiction), batch_id=batch_id, user=request.user))


@router.post("/imports/{batch_id}/actions/discard", response=ImportOut, summary="Discard a previewed import")
def import_discard(request, batch_id: int, jurisdiction: str | None = None):
    _require_admin(request)
    return _import_out(imports.import_discard(jurisdiction=_jurisdiction(request, jurisdiction), batch_id=batch_id))
