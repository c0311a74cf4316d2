"""At phone size, in a real browser, a rider who needs a microwave shares their location and finds the nearest
station open now that has one, with its distance, hours and a directions link; then opens it and checks in."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from wangge.cases.tests.test_browser import orm
from wangge.grids.tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, live_url  # noqa: F401 - fixture
from wangge.stations import services
from wangge.stations.models import StationCheckIn

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture
def rider(street):
    """The night station is marked closed so that the answer does not depend on the hour the test runs."""
    services.station_status_set(station=street["s"]["night"], actor=None, status="closed")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup --test installs Debian's chromium")
    c = street["centre"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(**PHONE, locale="zh-CN", geolocation={"longitude": c.x, "latitude": c.y},
                                      permissions=["geolocation"])
        yield context.new_page()
        context.close()
        browser.close()


@pytest.mark.browser
def test_a_rider_finds_the_nearest_open_station_with_a_microwave(live_url, street, rider):  # noqa: F811
    page = rider
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(live_url + "/stations/")
    expect(page.get_by_role("search")).to_be_visible()
    page.locator("#amenity-picker input[value=microwave]").check()
    page.click("#find-nearby")

    results = page.locator("#station-results .station-result")
    expect(results).to_have_count(1)  # the 24-hour station; the nearer ones lack a microwave or are closed
    first = results.first
    expect(first.locator(".station-name")).to_have_text("全天驿站")
    expect(first.locator(".distance")).to_contain_text("200")
    expect(first.locator(".open-state.is-open")).to_be_visible()
    expect(first.locator(".today-hours")).to_have_text("00:00–24:00")
    expect(first.locator('.amenities li[data-code="microwave"]')).to_be_visible()
    directions = first.locator("a.directions")
    expect(directions).to_have_attribute("href", re.compile(r"^https://uri\.amap\.com/navigation\?to="))
    expect(directions).to_have_attribute("aria-label", re.compile("全天驿站"))
    expect(page.locator("#finder-map .leaflet-interactive")).not_to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "stations-finder-phone.png"), full_page=True)
    box = page.locator("#station-results").bounding_box()
    assert box and box["width"] <= 390  # fits the phone, no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # Ticking "toilet" as well: no open station has both → a clear "none" message.
    page.locator("#amenity-picker input[value=toilet]").check()
    expect(page.locator("#no-results")).to_be_visible()
    page.locator("#amenity-picker input[value=toilet]").uncheck()
    expect(results).to_have_count(1)

    first.locator(".station-name a").click()
    expect(page.locator("#station-name")).to_contain_text("全天驿站")
    expect(page.locator("#station-hours tr")).to_have_count(7)
    page.click("#checkin-button")
    expect(page.locator("#station-notice")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "stations-detail-phone.png"), full_page=True)
    assert errors == [], errors
    assert orm(StationCheckIn.objects.filter(station=street["s"]["day"]).count) == 1


@pytest.mark.browser
def test_on_a_phone_each_field_of_the_station_forms_sits_under_its_own_label(live_url, street):  # noqa: F811
    station_id = street["s"]["day"].pk
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup --test installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(**PHONE).new_page()
        page.goto(live_url + "/accounts/login/")
        page.fill("#id_username", "host1")
        page.fill("#id_password", "pw-host-1")
        page.locator("form:not(.lang) button[type=submit]").click()
        page.goto(f"{live_url}/stations/host/{station_id}/")
        boxes = page.evaluate("""() => [0, 1, 2, 3, 4, 5, 6].map(d => {
            const label = document.querySelector(`label[for=day${d}]`).getBoundingClientRect();
            const input = document.getElementById(`day${d}`).getBoundingClientRect();
            return [label.bottom <= input.top + 1, Math.abs(label.left - input.left) < 2];
        })""")
        page.goto(f"{live_url}/stations/pledges/sign/?j={street['j'].code}")  # the merchants' public form
        merchant_form = page.evaluate("""() => ['merchant', 'address', 'where', 'kind', 'text', 'contact'].map(f => {
            const label = document.querySelector(`label[for=sign-${f}]`).getBoundingClientRect();
            const input = document.getElementById(`sign-${f}`).getBoundingClientRect();
            return label.bottom <= input.top + 1 && Math.abs(label.left - input.left) < 2;
        })""")
        browser.close()
    assert boxes == [[True, True]] * 7, boxes  # each label above its own input, not beside the day before's
    assert merchant_form == [True] * 6, merchant_form
