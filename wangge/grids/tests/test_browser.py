"""Real browser: Playwright drives Debian's chromium through login, the map, a grid card, a layer toggle."""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management import call_command
from django.test.testcases import LiveServerThread
from playwright.sync_api import expect, sync_playwright

from wangge.grids.models import Grid

CHROMIUM = os.environ.get("WANGGE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


@contextmanager
def live_server(static_handler=StaticFilesHandler) -> Iterator[str]:
    """A live server's URL for the block: stopped (and its connections closed) when it ends. `static_handler` wraps
    the application: the test runner's static files by default."""
    thread = LiveServerThread("127.0.0.1", static_handler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        yield f"http://127.0.0.1:{thread.port}"
    finally:
        thread.terminate()


@pytest.fixture
def live_url(transactional_db):
    """A live server for this test only: stopped before the database goes."""
    with live_server() as url:
        yield url


@pytest.fixture
def demo_street(transactional_db) -> int:
    """Seeded before the browser starts: ORM calls made while Playwright's loop runs would open a second,
    never-closed connection (Django's connections are per context)."""
    call_command("seed_demo")
    return Grid.objects.count()


@pytest.fixture
def browser_page():
    """A fresh chromium page (Debian's chromium driven by Playwright)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup --test installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
        yield context.new_page()
        context.close()
        browser.close()


@pytest.fixture
def page(demo_street, browser_page):
    return browser_page


@pytest.mark.browser
def test_operator_logs_in_and_sees_the_demo_street(live_url, demo_street, page):
    n_grids = demo_street
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(live_url + "/")
    expect(page.locator("h1")).to_have_text("网格化治理平台")  # Chinese first, even for an en-US browser
    page.fill("#id_username", "operator")
    page.fill("#id_password", "wangge123")
    page.click("button[type=submit].primary")

    expect(page.locator("#map")).to_have_attribute("data-loaded", "true", timeout=15_000)
    expect(page.locator("#map")).to_have_attribute("data-grids", str(n_grids))
    grid_paths = page.locator("#map path.leaflet-interactive")
    expect(grid_paths).to_have_count(n_grids)

    page.locator(".layers input[data-layer=__cases]").check()  # the open demo cases, coloured by lateness
    expect(page.locator("#map")).to_have_attribute("data-cases", re.compile(r"^[1-9][0-9]*$"), timeout=10_000)
    page.locator(".layers input[data-layer=__cases]").uncheck()
    page.locator(".layers input[data-layer=police]").check()
    expect(page.locator("#map path.leaflet-interactive")).not_to_have_count(n_grids, timeout=10_000)

    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    card = page.locator("#grid-card .grid-card")
    expect(card).to_be_visible(timeout=10_000)
    expect(card).to_contain_text("网格员")
    expect(card).to_contain_text("覆盖本网格的部门图层")

    ARTIFACTS.mkdir(exist_ok=True)
    vendor = os.environ.get("DATABASE_URL", "sqlite").split(":")[0]
    page.screenshot(path=str(ARTIFACTS / f"map-{vendor}.png"))
    assert errors == [], errors

    page.click(".lang button[value=en]")
    expect(page.locator(".topbar")).to_contain_text("Log out")
