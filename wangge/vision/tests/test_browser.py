"""The live wall, the zone editor and the alert review in a real browser (the cameras were fed a
generated video through the real analysis tick beforehand; the people detector is the colour double
of helpers.py)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from wangge.cases.tests.test_browser import orm
from wangge.grids.tests.test_browser import ARTIFACTS, browser_page, live_url  # noqa: F401 - fixtures
from wangge.vision import watch
from wangge.vision.models import GatheringAlert, Zone
from wangge.vision.tests.helpers import START, fake_counter, file_camera, make_video
from wangge.vision.tests.helpers import street as vision_street  # noqa: F401 - fixture


@pytest.fixture
def watched(live_url, vision_street):  # noqa: F811 - before the browser starts: ORM outside Playwright's loop
    camera, zone = file_camera(vision_street, make_video(vision_street["dir"] / "street.avi"))
    watch.play_file(camera=camera, start=START, counter=fake_counter())
    return {"camera": camera, "zone": zone, "alert": GatheringAlert.objects.get(), "base": live_url}


def login(page, base, username, password):
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")
    expect(page.locator(".topbar .who")).to_be_visible()
    page.click(".lang button[value=en]")  # assertions read English (the Chinese catalogue comes later)
    expect(page.locator(".topbar")).to_contain_text("Log out")


@pytest.mark.browser
def test_live_wall_and_alert_review(watched, browser_page):  # noqa: F811
    page, base = browser_page, watched["base"]
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, base, "op", "pw-op-1")

    # The wall: the camera with its picture, zone outline, current count, sparkline and health; it refreshes.
    page.goto(base + "/vision/")
    card = page.locator(f"article.camera-card[data-camera='{watched['camera'].pk}']")
    expect(card.locator("h2")).to_have_text("东门广场")
    expect(card.locator(".badge.health")).to_have_text("Online")
    expect(card.locator("svg.frame polygon.zone")).to_have_count(1)
    expect(card.locator("tr.zone-row td.count")).to_have_text("0")
    expect(card.locator("svg.spark polyline")).to_have_count(1)
    loaded = card.locator("svg.frame image").evaluate(
        "img => fetch(img.href.baseVal).then(r => r.ok && r.headers.get('content-type'))")
    assert loaded == "image/jpeg"
    with page.expect_response(lambda r: r.url.endswith("/vision/") and r.request.headers.get("hx-request") == "true",
                              timeout=12000):
        pass  # htmx polls every 5 s
    expect(card.locator("h2")).to_have_text("东门广场")

    # The alert review: evidence frame, count chart, confirm with dispatch to 派出所.
    page.click("a[href='/vision/alerts/?status=open']")
    page.click(f"a[href='/vision/alerts/{watched['alert'].pk}/']")
    expect(page.locator("#alert-status")).to_have_text("Awaiting review")
    expect(page.locator("#alert-peak")).to_have_text("7")
    # Wait for the evidence picture to arrive (on a busy machine it may still be loading): a broken image is
    # complete with width 0 and never satisfies this, so the wait then times out and the test fails.
    page.wait_for_function("() => { const i = document.querySelector('#evidence'); return i && i.complete && i.naturalWidth > 0; }",
                           timeout=15000)
    assert page.locator("#evidence").evaluate("img => img.naturalWidth") == 320
    assert len(page.locator("#count-chart polyline").get_attribute("points").split()) > 20
    page.select_option("#confirm-form select[name=department_id]", label="派出所")
    page.fill("#confirm-form textarea[name=note]", "现场确认")
    page.click("#confirm-form button[type=submit]")
    expect(page.locator("#alert-status")).to_have_text("Confirmed")
    expect(page.locator("dd:has(#alert-case)")).to_contain_text("Dispatched")
    ARTIFACTS.mkdir(exist_ok=True)
    vendor = os.environ.get("DATABASE_URL", "sqlite").split(":")[0]
    page.screenshot(path=str(ARTIFACTS / f"vision-alert-{vendor}.png"), full_page=True)
    assert errors == [], errors


@pytest.mark.browser
def test_admin_draws_a_zone_by_clicking_the_picture(watched, browser_page):  # noqa: F811
    page, base = browser_page, watched["base"]
    login(page, base, "admin", "pw-admin-1")
    page.goto(base + f"/vision/cameras/{watched['camera'].pk}/")
    editor = page.locator("#zone-editor")
    expect(editor.locator("polygon.zone")).to_have_count(1)
    box = editor.bounding_box()
    sx, sy = box["width"] / 320, box["height"] / 240
    for x, y in [(220, 20), (310, 20), (310, 120)]:
        page.mouse.click(box["x"] + x * sx, box["y"] + y * sy)
    expect(editor.locator("circle.vertex")).to_have_count(3)
    page.fill("#zone-form input[name=name]", "右侧")
    page.fill("#zone-form input[name=alert_level]", "4")
    page.fill("#zone-form input[name=clear_level]", "2")
    page.click("#zone-form button[type=submit].primary")
    expect(page.locator(".messages")).to_contain_text("Zone saved")
    expect(editor.locator("polygon.zone")).to_have_count(2)
    zone = orm(lambda: Zone.objects.get(name="右侧"))
    assert [[round(x / 10) * 10, round(y / 10) * 10] for x, y in zone.polygon] == [[220, 20], [310, 20], [310, 120]]
    vendor = os.environ.get("DATABASE_URL", "sqlite").split(":")[0]
    page.screenshot(path=str(ARTIFACTS / f"vision-zone-editor-{vendor}.png"), full_page=True)


@pytest.mark.browser
def test_readme_screenshots_of_the_wall_and_the_alert_review_in_chinese(watched, browser_page):  # noqa: F811
    """The README's pictures (Chinese UI, the generated street video). Written to test-artifacts/; with
    WANGGE_DOCS_SCREENSHOTS=docs they replace docs/vision-wall.png and docs/vision-alert.png."""
    page, base = browser_page, watched["base"]
    out = Path(os.environ.get("WANGGE_DOCS_SCREENSHOTS") or ARTIFACTS)
    out.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "op")
    page.fill("#id_password", "pw-op-1")
    page.click("button[type=submit].primary")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.goto(base + "/vision/")
    card = page.locator(f"article.camera-card[data-camera='{watched['camera'].pk}']")
    expect(card.locator("svg.frame polygon.zone")).to_have_count(1)
    expect(page.locator("body")).not_to_contain_text("Log out")  # Chinese, not the English fallback
    page.screenshot(path=str(out / "vision-wall.png"))
    page.goto(base + f"/vision/alerts/{watched['alert'].pk}/")
    expect(page.locator("#alert-peak")).to_have_text("7")
    page.wait_for_function("() => document.querySelector('#evidence').complete")
    page.screenshot(path=str(out / "vision-alert.png"), full_page=True)
    for name in ("vision-wall.png", "vision-alert.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, name
