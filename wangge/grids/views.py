"""Pages: thin, over the same selectors and services as the API."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.core.errors import ApplicationError, NotFound, PermissionDenied
from wangge.core.geo import to_geojson, to_shape
from wangge.grids import imports, selectors
from wangge.grids.forms import ImportForm
from wangge.grids.models import ImportStatus

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _jurisdiction(request):
    try:
        return selectors.jurisdiction_for_user(request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc


def _require_admin(request):
    if not request.user.is_territory_admin:
        raise DjangoPermissionDenied("Only territory administrators may import.")


@login_required
def map_page(request):
    jurisdiction = _jurisdiction(request)
    layers = selectors.layers_for_jurisdiction(jurisdiction=jurisdiction)
    config = {
        "gridsUrl": "/api/v1/grids/geojson",
        "layerUrl": "/api/v1/layers/{code}/units",
        "cardUrl": "/grids/{code}/card/",
        "casesUrl": "/api/v1/cases/geojson",
        "caseUrl": "/cases/{code}/",
        "issuesUrl": "/api/v1/merge/report" if request.user.is_jurisdiction_wide else "",
        "boundary": to_geojson(selectors.to_display_crs(to_shape(jurisdiction.boundary), settings.WANGGE_TILE_CRS)),
        "tileUrl": settings.WANGGE_TILE_URL,
        "tileCrs": settings.WANGGE_TILE_CRS,
        "tileAttribution": settings.WANGGE_TILE_ATTRIBUTION,
    }
    return render(request, "grids/map.html", {"jurisdiction": jurisdiction, "layers": layers, "map_config": config})


@login_required
def grid_card(request, code: str):
    jurisdiction = _jurisdiction(request)
    try:
        grid = selectors.grid_get_for_user(user=request.user, jurisdiction=jurisdiction, code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    return render(request, "grids/partials/card.html", {"card": selectors.grid_card(user=request.user, grid=grid)})


@login_required
def merge_report_page(request):
    if not request.user.is_jurisdiction_wide:
        raise DjangoPermissionDenied("The merge report is for the operations centre, leaders and administrators.")
    report = selectors.merge_report(jurisdiction=_jurisdiction(request))
    layer_names = {layer["code"]: layer["name"] for layer in report["layers"]}
    return render(request, "grids/merge_report.html", {"report": report, "layer_names": layer_names})


@login_required
def import_upload(request):
    _require_admin(request)
    jurisdiction = _jurisdiction(request)
    form = ImportForm(request.POST or None, request.FILES or None, initial={"crs": settings.WANGGE_IMPORT_CRS})
    errors = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            form.add_error("file", _("The file is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)})
        else:
            try:
                batch = imports.import_preview(
                    jurisdiction=jurisdiction, user=request.user, kind=form.cleaned_data["kind"], raw=upload.read(),
                    filename=upload.name, crs=form.cleaned_data["crs"], repair=form.cleaned_data["repair"],
                    layer_code=form.cleaned_data["layer_code"], layer_name=form.cleaned_data["layer_name"],
                    layer_kind=form.cleaned_data["layer_kind"],
                )
                return redirect("grids:import_preview", batch_id=batch.pk)
            except ApplicationError as exc:
                errors = {"message": exc.message, "details": exc.details or []}
    status = 422 if errors or (request.method == "POST" and form.errors) else 200
    recent = jurisdiction.imports.order_by("-created_at")[:10]
    return render(request, "grids/import_upload.html", {"form": form, "errors": errors, "recent": recent}, status=status)


@login_required
def import_preview_page(request, batch_id: int):
    _require_admin(request)
    try:
        batch = selectors.import_batch_get(jurisdiction=_jurisdiction(request), batch_id=batch_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    preview = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": f["geometry"], "properties": {"code": f["code"], "name": f["name"]}} for f in batch.features
    ]}
    return render(request, "grids/import_preview.html", {
        "batch": batch, "preview": preview, "pending": batch.status == ImportStatus.PREVIEWED,
    })


@login_required
@require_POST
def import_commit(request, batch_id: int):
    _require_admin(request)
    try:
        imports.import_commit(jurisdiction=_jurisdiction(request), batch_id=batch_id, user=request.user)
        messages.success(request, _("Import committed; the merge was recomputed."))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("grids:import_preview", batch_id=batch_id)


@login_required
@require_POST
def import_discard(request, batch_id: int):
    _require_admin(request)
    try:
        imports.import_discard(jurisdiction=_jurisdiction(request), batch_id=batch_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("grids:import_upload")
