"""Maps as production serves them: static files collected under hashed names (the manifest storage) and served by
WhiteNoise. Leaflet finds its marker images next to its stylesheet by their plain names, which hashing breaks."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect, sync_playwright

from wangge.grids.tests.test_browser import CHROMIUM, CHROMIUM_ARGS, live_server

TEMPLATES = Path(__file__).resolve().parents[2]
LEAFLET = "vendor/leaflet/leaflet.js"


@pytest.fixture
def hashed_static(settings, tmp_path, transactional_db):
    """collectstatic with the manifest storage into a folder of this test (ECharts left out: no map page uses it),
    then a live server without the test runner's static handler: WhiteNoise serves the collected files."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
    call_command("collectstatic", "--noinput", "-v0", "-i", "echarts*")
    call_command("seed_demo")
    with live_server(static_handler=lambda handler: handler) as url:
        yield url


@pytest.mark.browser
def test_a_pin_on_the_public_report_map_shows_its_marker_with_hashed_static_files(hashed_static):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup --test installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(hashed_static + "/report/")
        expect(page.locator("script[src*='leaflet']").first).to_have_attribute("src", re.compile(r"leaflet\.[0-9a-f]{12}\.js"))
        box = page.locator("#report-map").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        marker = page.locator("img.leaflet-marker-icon")
        expect(marker).to_have_count(1)
        page.wait_for_function("() => document.querySelector('img.leaflet-marker-icon').complete")
        loaded = page.evaluate("() => [...document.querySelectorAll('img.leaflet-marker-icon, img.leaflet-marker-shadow')]"
                               ".map(img => [img.getAttribute('src'), img.naturalWidth])")
        browser.close()
    assert len(loaded) == 2 and all(width > 0 for _src, width in loaded), loaded


def test_every_map_page_loads_leaflet_through_the_shared_include():
    """The marker fix travels with Leaflet: no template loads leaflet.js on its own."""
    offenders = [str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html")
                 if LEAFLET in path.read_text(encoding="utf-8") and path.name != "leaflet_js.html"]
    assert offenders == []
