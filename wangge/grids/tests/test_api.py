"""The territory API: authentication, scoping, masking, problem+json errors, imports, exports."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import fc, metres
from wangge.accounts.services import api_token_create
from wangge.grids.models import Grid, ImportBatch, LayerUnit


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_anonymous_gets_401_problem_json(territory):
    r = Client().get("/api/v1/grids")
    assert r.status_code == 401
    assert r["Content-Type"] == "application/problem+json"
    assert r.json()["code"] == "unauthorized"


def test_bearer_token_auth(people):
    _, key = api_token_create(user=people["operator"], name="integration")
    r = Client().get("/api/v1/grids", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert r.status_code == 200 and r.json()["count"] == 4
    assert Client().get("/api/v1/grids", HTTP_AUTHORIZATION="Bearer wg_wrong").status_code == 401


def test_grid_worker_sees_only_own_grids(people):
    c = client_for(people["worker"])
    c.cookies["django_language"] = "en"  # the refusal is translated; read the English one
    assert [g["code"] for g in c.get("/api/v1/grids").json()["items"]] == ["A"]
    assert c.get("/api/v1/grids/A").status_code == 200
    r = c.get("/api/v1/grids/B")
    assert r.status_code == 403 and r.json()["code"] == "forbidden" and "outside your scope" in r.json()["detail"]
    assert c.get("/api/v1/grids/ZZ").status_code == 404
    fc_codes = [f["properties"]["code"] for f in c.get("/api/v1/grids/geojson?zoom=15").json()["features"]]
    assert fc_codes == ["A"]


def test_phones_masked_outside_scope(people):
    card_op = client_for(people["operator"]).get("/api/v1/grids/A").json()
    assert card_op["grid_workers"][0]["phone"] == "13812345678"
    assert card_op["liaison"]["name"] == "赵包联" and card_op["liaison"]["phone"] == "13700002222"
    card_h = client_for(people["handler"]).get("/api/v1/grids/A").json()
    assert card_h["grid_workers"][0]["phone"] == "138****5678" and card_h["grid_workers"][0]["phone_masked"]
    assert card_h["liaison"]["phone"] == "137****2222"
    # The grid worker of A sees A's team unmasked; the handler's CSV export is masked too.
    assert client_for(people["worker"]).get("/api/v1/grids/A").json()["grid_workers"][0]["phone"] == "13812345678"
    body = client_for(people["handler"]).get("/api/v1/grids/export.csv").content.decode("utf-8-sig")
    assert "138****5678" in body and "13812345678" not in body


def test_grid_card_lists_coverage_and_warnings(people):
    card = client_for(people["operator"]).get("/api/v1/grids/B").json()
    layers = {layer["code"]: layer for layer in card["layers"]}
    assert [(u["code"], u["share"]) for u in layers["police"]["units"]] == [("P2", 1.0)]
    assert layers["property"]["units"] == []
    assert [(w["kind"], w["unit"]) for w in card["warnings"]] == [("sliver", "U1")]


def test_locate_single_batch_and_crs(people):
    c = client_for(people["worker"])
    inside = metres(100, 100, 101, 101).centroid
    r = c.post("/api/v1/locate", {"lon": inside.x, "lat": inside.y}, content_type="application/json").json()
    assert r["grid"]["code"] == "A" and {u["layer"]: u["code"] for u in r["units"]} == {"police": "P1", "urban": "U1", "property": "Y1"}
    gap = metres(900, 990, 901, 991).centroid
    r = c.post("/api/v1/locate", {"lon": gap.x, "lat": gap.y}, content_type="application/json").json()
    assert r["inside_jurisdiction"] and r["grid"] is None and r["reason"] == "no_grid"
    r = c.post("/api/v1/locate", {"lon": 121.6, "lat": 31.3}, content_type="application/json").json()
    assert not r["inside_jurisdiction"] and r["grid"] is None and r["units"] == [] and r["reason"] == "outside_jurisdiction"
    from wangge.routing.coords import wgs84_to_gcj02
    glon, glat = wgs84_to_gcj02(inside.x, inside.y)
    r = c.post("/api/v1/locate", {"lon": glon, "lat": glat, "crs": "gcj02"}, content_type="application/json").json()
    assert r["grid"]["code"] == "A" and abs(r["wgs84"]["lon"] - inside.x) < 1e-7
    pts = [[inside.x, inside.y], [gap.x, gap.y], [121.6, 31.3]]
    batch = c.post("/api/v1/locate/batch", {"points": pts}, content_type="application/json").json()
    assert [b["grid"] and b["grid"]["code"] for b in batch] == ["A", None, None]


@pytest.mark.parametrize("payload", [
    {"lon": 200, "lat": 31.2}, {"lon": 121.4, "lat": "north"}, {"lon": 121.4, "lat": 31.2, "crs": "utm"}, {"lat": 31.2},
])
def test_locate_bad_input_is_422(people, payload):
    r = client_for(people["operator"]).post("/api/v1/locate", payload, content_type="application/json")
    assert r.status_code == 422 and r["Content-Type"] == "application/problem+json"


def test_locate_batch_limit(people):
    r = client_for(people["operator"]).post(
        "/api/v1/locate/batch", {"points": [[121.44, 31.24]] * 10_001}, content_type="application/json"
    )
    assert r.status_code == 422


def test_merge_report_json_csv_and_scope(people):
    c = client_for(people["leader"])
    report = c.get("/api/v1/merge/report").json()
    assert report["stats"]["overlaps"] == 1 and len(report["grids"]) == 4
    rows = list(csv.reader(io.StringIO(c.get("/api/v1/merge/report.csv").content.decode("utf-8-sig"))))
    assert rows[0] == ["grid", "grid_name", "grid_area_m2", "layer", "unit", "unit_name", "share"]
    assert ["A", "名A", rows[1][2], "police", "P1", "名P1", "0.6"] in rows
    assert client_for(people["worker"]).get("/api/v1/merge/report").status_code == 403


def test_import_through_api_needs_admin_and_commits(people):
    raw = fc({"P1": metres(0, 0, 1000, 1000)}).encode()
    upload = SimpleUploadedFile("police.geojson", raw, content_type="application/geo+json")
    r = client_for(people["operator"]).post("/api/v1/imports", {"file": upload, "kind": "layer", "layer_code": "police"})
    assert r.status_code == 403
    c = client_for(people["admin"])
    upload = SimpleUploadedFile("police.geojson", raw, content_type="application/geo+json")
    r = c.post("/api/v1/imports", {"file": upload, "kind": "layer", "layer_code": "police"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["diff"]["removed"] == ["P2"] and body["status"] == "previewed"
    r = c.post(f"/api/v1/imports/{body['id']}/actions/commit")
    assert r.status_code == 200 and r.json()["status"] == "committed"
    assert list(LayerUnit.objects.filter(layer__code="police").values_list("code", flat=True)) == ["P1"]
    r = c.post(f"/api/v1/imports/{body['id']}/actions/commit")
    assert r.status_code == 409 and r.json()["code"] == "import_not_pending"


def test_bad_upload_is_422_and_writes_nothing(people):
    c = client_for(people["admin"])
    c.cookies["django_language"] = "en"  # the refusal is translated; read the English one
    before = (Grid.objects.count(), ImportBatch.objects.count())
    upload = SimpleUploadedFile("bad.geojson", b"not json at all", content_type="application/geo+json")
    r = c.post("/api/v1/imports", {"file": upload, "kind": "grids"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_geojson" and "Not valid JSON" in r.json()["detail"]
    r = c.post("/api/v1/imports", {"kind": "grids"})
    assert r.status_code == 422
    assert (Grid.objects.count(), ImportBatch.objects.count()) == before


def test_exports_round_trip(people):
    c = client_for(people["operator"])
    grids = c.get("/api/v1/grids/export.geojson").json()
    assert sorted(f["properties"]["code"] for f in grids["features"]) == ["A", "B", "C", "D"]
    layer = c.get("/api/v1/layers/police/export.geojson").json()
    assert sorted(f["properties"]["code"] for f in layer["features"]) == ["P1", "P2"]
    layers = c.get("/api/v1/layers").json()
    assert {(x["code"], x["units"], x["tiling"]) for x in layers} == {("police", 2, True), ("urban", 2, True), ("property", 1, False)}


def test_openapi_docs_work_offline(people):
    import re

    r = client_for(people["operator"]).get("/api/v1/docs")
    html = r.content.decode()
    assert r.status_code == 200 and "/static/ninja/" in html
    # Every script and stylesheet the docs page loads comes from our own origin (no CDN: works offline).
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    schema = json.loads(client_for(people["operator"]).get("/api/v1/openapi.json").content)
    assert "/api/v1/locate/batch" in schema["paths"]


def test_docs_need_login(db):
    assert Client().get("/api/v1/docs").status_code == 302
    assert Client().get("/api/v1/openapi.json").status_code == 302


def test_display_crs_shifts_geometry_for_gcj02_tiles(people):
    from wangge.routing.coords import wgs84_to_gcj02

    c = client_for(people["operator"])
    wgs = c.get("/api/v1/grids/geojson").json()["features"][0]["geometry"]["coordinates"][0][0]
    gcj = c.get("/api/v1/grids/geojson?crs=gcj02").json()["features"][0]["geometry"]["coordinates"][0][0]
    expected = wgs84_to_gcj02(*wgs)
    assert abs(gcj[0] - expected[0]) < 1e-7 and abs(gcj[1] - expected[1]) < 1e-7 and gcj != wgs
    assert c.get("/api/v1/grids/geojson?crs=mars").status_code == 422
    unit = c.get("/api/v1/layers/police/units?crs=bd09").json()["features"][0]["geometry"]["coordinates"][0][0]
    assert unit[0] > 121.44  # BD-09 shifts east in Shanghai


def test_grid_list_query_count_does_not_grow_with_grids(people, django_assert_max_num_queries):
    c = client_for(people["operator"])
    with django_assert_max_num_queries(6):
        r = c.get("/api/v1/grids?q=A")
    assert [g["code"] for g in r.json()["items"]] == ["A"]
    with django_assert_max_num_queries(8):
        assert len(c.get("/api/v1/grids/geojson?zoom=14").json()["features"]) == 4


def test_merge_recompute_task_through_the_api(people):
    from wangge.grids.models import MergeRun

    before = MergeRun.objects.count()
    assert client_for(people["operator"]).post("/api/v1/merge/recompute").status_code == 403
    r = client_for(people["admin"]).post("/api/v1/merge/recompute")
    assert r.status_code == 202 and r.json()["status"] == "SUCCESSFUL"  # the immediate backend in tests
    assert MergeRun.objects.count() == before + 1


def test_map_geojson_is_gzipped_when_asked(people):
    import gzip

    r = client_for(people["operator"]).get("/api/v1/grids/geojson?zoom=14", HTTP_ACCEPT_ENCODING="gzip")
    assert r["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(r.content))["features"]) == 4
