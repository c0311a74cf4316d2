"""Server-rendered pages: login in Chinese first, English on request, scoped pages, the import flow."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import fc, metres
from wangge.grids.models import ImportBatch, LayerUnit


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_login_page_speaks_chinese_even_to_english_browsers(db):
    r = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = r.content.decode()
    assert r.status_code == 200 and "登录" in html and "网格化治理平台" in html and 'lang="zh-hans"' in html


def test_english_is_one_click_away(db):
    c = Client()
    r = c.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert r.status_code == 302
    html = c.get("/accounts/login/").content.decode()
    assert "Log in" in html and 'lang="en"' in html


def test_real_login_with_password(people):
    c = Client()
    r = c.post("/accounts/login/", {"username": "op", "password": "pw-op-1"})
    assert r.status_code == 302 and r["Location"] == "/start/" and c.get("/start/")["Location"] == "/"
    bad = Client().post("/accounts/login/", {"username": "op", "password": "wrong"})
    assert "用户名或密码错误" in bad.content.decode()


def test_map_requires_login_and_renders(people):
    assert Client().get("/")["Location"].startswith("/accounts/login/")
    html = login(people["operator"]).get("/").content.decode()
    assert 'id="map"' in html and "警格" in html and "/static/vendor/leaflet/leaflet.js" in html
    assert 'id="map-config"' in html and "<script>" not in html.replace('<script src=', '')  # no inline script (CSP)


def test_card_partial_scoped(people):
    html = login(people["operator"]).get("/grids/A/card/").content.decode()
    assert "名A" in html and "王小明" in html and "13812345678" in html and "60.0%" in html
    assert login(people["worker"]).get("/grids/B/card/").status_code == 403
    handler_html = login(people["handler"]).get("/grids/A/card/").content.decode()
    assert "138****5678" in handler_html and "13812345678" not in handler_html


def test_merge_report_page(people):
    html = login(people["leader"]).get("/merge/").content.decode()
    assert "多格合一报告" in html and "网格重叠" in html and "碎片" in html
    assert "<td>城管网格</td>" in html and "<td>urban</td>" not in html  # a sliver's layer by its name
    assert login(people["worker"]).get("/merge/").status_code == 403


def test_import_flow_in_the_browser_pages(people):
    c = login(people["admin"])
    assert login(people["operator"]).get("/imports/").status_code == 403
    bad = SimpleUploadedFile("x.geojson", b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": null, "properties": {"code": "Q"}}]}')
    english = login(people["admin"])
    english.cookies["django_language"] = "en"  # each feature's reason is translated; read the English one
    r = english.post("/imports/", {"kind": "layer", "layer_code": "police", "crs": "wgs84", "file": bad})
    assert r.status_code == 422 and "missing geometry" in r.content.decode()
    good = SimpleUploadedFile("p.geojson", fc({"P1": metres(0, 0, 1000, 1000)}).encode())
    r = c.post("/imports/", {"kind": "layer", "layer_code": "police", "crs": "wgs84", "file": good})
    assert r.status_code == 302
    batch = ImportBatch.objects.order_by("-id").first()
    assert batch.status == "previewed" and batch.filename == "p.geojson"
    page = c.get(r["Location"]).content.decode()
    assert "P2" in page and "确认导入" in page and 'id="preview-map"' in page
    assert LayerUnit.objects.filter(layer__code="police").count() == 2
    r = c.post(f"/imports/{batch.pk}/commit/")
    assert r.status_code == 302
    assert LayerUnit.objects.filter(layer__code="police").count() == 1
    assert "已导入" in c.get(r["Location"]).content.decode()


def test_healthz(db):
    assert Client().get("/healthz").json()["status"] == "ok"


def test_livez_answers_without_the_database(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/livez")
    assert response.status_code == 200 and response.content == b"ok" and len(queries) == 0


def test_login_is_throttled_after_repeated_failures(people):
    for _ in range(5):
        Client().post("/accounts/login/", {"username": "op", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    r = Client().post("/accounts/login/", {"username": "op", "password": "pw-op-1"}, REMOTE_ADDR="10.0.0.9")
    assert r.status_code == 429 and "登录失败次数过多" in r.content.decode()
    # Another account from the same address is not locked.
    r = Client().post("/accounts/login/", {"username": "lead", "password": "pw-lead-1"}, REMOTE_ADDR="10.0.0.9")
    assert r.status_code == 302
