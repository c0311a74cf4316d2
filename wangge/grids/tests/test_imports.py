"""Imports: every kind of bad file is refused whole with a precise reason; good files diff and commit."""

import json

import pytest
import shapely
from django.utils import translation
from shapely.geometry import box

from conftest import GRIDS, POLICE, PROJ, commit, fc, metres
from wangge.core.errors import ApplicationError, Conflict
from wangge.grids import geojson_io, imports
from wangge.grids.models import Grid, GridCoverage, ImportBatch, LayerUnit
from wangge.routing import coords


@pytest.fixture(autouse=True)
def english():
    """The refusals are translated; these tests read the English ones."""
    with translation.override("en"):
        yield


def preview(territory, raw, kind="layer", **kw):
    kw.setdefault("layer_code", "police" if kind == "layer" else "")
    return imports.import_preview(jurisdiction=territory, user=None, kind=kind, raw=raw, **kw)


def refused(territory, raw, **kw) -> ApplicationError:
    before = (Grid.objects.count(), LayerUnit.objects.count(), ImportBatch.objects.count())
    with pytest.raises(ApplicationError) as info:
        preview(territory, raw, **kw)
    assert (Grid.objects.count(), LayerUnit.objects.count(), ImportBatch.objects.count()) == before
    return info.value


def feature(geometry, code="X1"):
    return {"type": "Feature", "geometry": geometry, "properties": {"code": code}}


def collection(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


GOOD = json.loads(fc({"OK": metres(10, 10, 90, 90)}))["features"][0]["geometry"]


def test_invalid_json_names_line_and_column(territory):
    err = refused(territory, b'{"type": "FeatureCollection", "features": [}')
    assert "Not valid JSON" in err.message and "line 1" in err.message


def test_not_utf8(territory):
    assert "UTF-8" in refused(territory, "{\"name\": \"网格\"}".encode("gbk")).message


def test_not_a_feature_collection(territory):
    assert "FeatureCollection" in refused(territory, json.dumps({"type": "Polygon", "coordinates": []})).message


def test_non_polygon_feature_is_named_by_index(territory):
    line = {"type": "LineString", "coordinates": [[121.44, 31.24], [121.441, 31.241]]}
    err = refused(territory, collection(feature(GOOD, "OK"), feature(line, "BAD")))
    assert err.details == [{"index": 1, "code": "BAD", "reason": "geometry type LineString is not a Polygon or MultiPolygon"}]


def test_self_intersecting_polygon_refused_then_repaired_on_request(territory):
    x0, y0 = 121.4395, 31.2395
    bowtie = {"type": "Polygon", "coordinates": [[[x0, y0], [x0 + 0.001, y0 + 0.001], [x0 + 0.001, y0], [x0, y0 + 0.001], [x0, y0]]]}
    err = refused(territory, collection(feature(bowtie, "BOW")))
    assert err.details[0]["code"] == "BOW" and "Self-intersection" in err.details[0]["reason"]
    batch = preview(territory, collection(feature(bowtie, "BOW")), repair=True)
    assert batch.repaired[0]["code"] == "BOW"
    assert shapely.from_geojson(json.dumps(batch.features[0]["geometry"])).is_valid


def test_empty_and_malformed_polygons(territory):
    empty = {"type": "Polygon", "coordinates": []}
    broken = {"type": "Polygon", "coordinates": [[[121.44, 31.24], [121.45]]]}
    err = refused(territory, collection(feature(empty, "E"), feature(broken, "M"), feature(GOOD, "OK")))
    reasons = {e["code"]: e["reason"] for e in err.details}
    assert set(reasons) == {"E", "M"}
    assert "empty" in reasons["E"] or "no area" in reasons["E"]


def test_projected_metres_are_recognised(territory):
    metric = {"type": "Polygon", "coordinates": [[[350000, 3450000], [351000, 3450000], [351000, 3451000], [350000, 3450000]]]}
    err = refused(territory, collection(feature(metric)))
    assert "projected metres" in err.details[0]["reason"]


def test_swapped_lat_lon_is_recognised(territory):
    g = metres(10, 10, 90, 90)
    swapped = shapely.transform(g, lambda xy: xy[:, ::-1])
    err = refused(territory, collection(feature(json.loads(shapely.to_geojson(swapped)))))
    assert "swapped" in err.details[0]["reason"]


def test_file_for_another_jurisdiction(territory):
    far = json.loads(shapely.to_geojson(box(116.39, 39.90, 116.40, 39.91)))  # Beijing
    err = refused(territory, collection(feature(far)))
    assert err.code == "wrong_jurisdiction"
    err = refused(territory, json.dumps({"type": "FeatureCollection", "jurisdiction": "310000999", "features": [feature(GOOD)]}))
    assert err.code == "wrong_jurisdiction"


def test_refusals_are_said_in_the_readers_language(territory, monkeypatch):
    """The import page shows the refusal and each feature's reason in the reader's language: both go through gettext."""
    monkeypatch.setattr(geojson_io, "_", lambda text: f"«{text}»")
    err = refused(territory, collection(feature(GOOD, "OK"), feature({"type": "Point", "coordinates": [121.44, 31.24]}, "PT")))
    assert err.message.startswith("«1 feature(s) refused") and err.code == "invalid_geojson"
    assert err.details == [{"index": 1, "code": "PT", "reason": "«geometry type Point is not a Polygon or MultiPolygon»"}]


def test_duplicate_codes_name_both_features(territory):
    err = refused(territory, collection(feature(GOOD, "DUP"), feature(GOOD, "DUP")))
    assert err.details == [{"index": 1, "code": "DUP", "reason": "duplicate code DUP (also feature 0)"}]


def test_missing_code(territory):
    err = refused(territory, json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": GOOD, "properties": {}}]}))
    assert "missing code" in err.details[0]["reason"]


def test_layer_reimport_diff_and_commit(territory):
    # P1 widened to x 0–400 (reshaped), P2 dropped, P3 added in its place, renamed nothing.
    new = {"P1": metres(0, 0, 400, 1000), "P3": metres(400, 0, 1000, 1000)}
    batch = preview(territory, fc(new))
    d = batch.diff
    assert d["added"] == ["P3"] and d["removed"] == ["P2"] and [r["code"] for r in d["reshaped"]] == ["P1"]
    assert d["reshaped"][0]["changed_area_m2"] == pytest.approx(100_000, rel=0.01)
    # A and C had P1/P2 split; B and D were wholly P2 and now wholly P3: every grid changes.
    assert sorted(c["grid"] for c in d["coverage_changed"]) == ["A", "B", "C", "D"]
    assert LayerUnit.objects.filter(layer__code="police", code="P3").count() == 0  # preview writes nothing
    imports.import_commit(jurisdiction=territory, batch_id=batch.pk, user=None)
    shares = {c.unit.code: c.share for c in GridCoverage.objects.filter(grid__code="A", layer__code="police").select_related("unit")}
    assert shares == {"P1": pytest.approx(0.8, abs=1e-4), "P3": pytest.approx(0.2, abs=1e-4)}
    assert not LayerUnit.objects.filter(code="P2").exists()


def test_unchanged_reimport_changes_no_coverage(territory):
    d = preview(territory, fc(POLICE)).diff
    assert d["added"] == d["removed"] == d["reshaped"] == d["coverage_changed"] == []
    assert d["unchanged"] == 2


def test_stale_preview_is_refused_and_double_commit_conflicts(territory):
    first = preview(territory, fc(POLICE))
    second = preview(territory, fc({"P1": metres(0, 0, 1000, 1000)}))
    imports.import_commit(jurisdiction=territory, batch_id=first.pk, user=None)
    territory.refresh_from_db()
    with pytest.raises(Conflict) as info:
        imports.import_commit(jurisdiction=territory, batch_id=second.pk, user=None)
    assert info.value.code == "stale_preview"
    with pytest.raises(Conflict):
        imports.import_commit(jurisdiction=territory, batch_id=first.pk, user=None)
    assert LayerUnit.objects.filter(layer__code="police").count() == 2


def test_gcj02_file_is_converted_to_wgs84(territory):
    target = metres(100, 100, 400, 400)
    gcj = shapely.transform(target, lambda xy: __import__("numpy").column_stack(coords.from_wgs84_array(xy[:, 0], xy[:, 1], "gcj02")))
    assert shapely.hausdorff_distance(gcj, target) > 0.003  # the offset is ~500 m in Shanghai
    batch = preview(territory, fc({"G1": gcj}), crs="gcj02")
    stored = shapely.from_geojson(json.dumps(batch.features[0]["geometry"]))
    error_m = shapely.hausdorff_distance(PROJ.forward(stored), PROJ.forward(target))
    assert error_m < 0.01


def test_grid_reimport_removes_and_reshapes_atomically(territory):
    grids = dict(GRIDS)
    grids["D"] = metres(500, 500, 1000, 1000)  # closes the gap
    grids["C"] = metres(0, 500, 500, 1000)  # removes the overlap
    commit(territory, None, "grids", fc(grids))
    from wangge.grids.models import MergeIssue
    assert set(MergeIssue.objects.values_list("kind", flat=True)) == {"sliver"}




def test_grid_kinds_in_chinese_or_english(territory):
    raw = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(shapely.to_geojson(g)), "properties": {"网格编码": code, "网格名称": f"网格{code}", "类型": kind}}
        for (code, g), kind in zip(GRIDS.items(), ["居住", "Commercial", "园区", "未知"], strict=True)
    ]}, ensure_ascii=False)
    commit(territory, None, "grids", raw)
    assert dict(Grid.objects.values_list("code", "kind")) == {"A": "residential", "B": "commercial", "C": "industrial", "D": "mixed"}
    assert Grid.objects.get(code="A").name == "网格A"
