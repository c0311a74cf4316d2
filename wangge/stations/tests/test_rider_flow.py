"""The whole rider flow on a phone, in a real browser, on the demo street: from the riders' home page a rider
finds the nearest open rest station, joins the union in one step (the code from the SMS), reports a problem
as a rider, and follows it until the street has handled it and the rider has rated it."""

from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import expect, sync_playwright

from wangge.accounts.models import User
from wangge.cases.tests.test_browser import orm
from wangge.grids.tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, live_url  # noqa: F401 - fixture
from wangge.intake.models import Report
from wangge.intake.tests.test_browser import handle_to_closure
from wangge.stations.models import Station, StationCheckIn
from wangge.unions.models import Membership
from wangge.unions.sms import LoggingSmsBackend
from wangge.unions.tests.conftest import last_code

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
RIDER = "13600009876"


@pytest.fixture
def street(transactional_db):
    call_command("seed_demo")
    LoggingSmsBackend.OUTBOX.clear()
    # The rider stands beside a demo station that is open around the clock, whatever the hour of the test.
    station = Station.objects.filter(active=True, live_status="open").order_by("pk").first()
    from wangge.stations import services

    services.station_hours_set(station=station, actor=None, week={w: "00:00-24:00" for w in range(7)})
    return {"station": station, "operator": User.objects.get(username="operator"),
            "handler": User.objects.get(username="h-urban"), "worker": User.objects.get(username="gw01")}


@pytest.fixture
def phone(street):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup --test installs Debian's chromium")
    s = street["station"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(**PHONE, locale="zh-CN", geolocation={"longitude": s.lon + 0.0002,
                                      "latitude": s.lat}, permissions=["geolocation"])
        yield context.new_page()
        context.close()
        browser.close()


@pytest.mark.browser
def test_a_rider_finds_a_station_joins_the_union_reports_and_sees_it_handled(live_url, street, phone, tmp_path):  # noqa: F811
    page = phone
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    station = street["station"]

    # 1. Find: the riders' home page → the nearest station open now, with distance and directions.
    page.goto(live_url + "/rider/")
    expect(page.locator("h1")).to_be_visible()
    page.locator("#rider-stations").click()
    page.click("#find-nearby")
    first = page.locator("#station-results .station-result").first
    expect(first.locator(".station-name")).to_have_text(station.name)
    expect(first.locator(".open-state.is-open")).to_be_visible()
    expect(first.locator("a.directions")).to_be_visible()
    first.locator(".station-name a").click()
    page.click("#checkin-button")
    expect(page.locator("#station-notice")).to_be_visible()
    assert orm(StationCheckIn.objects.filter(station=station).count) == 1

    # 2. Join: the union's join page from the home page, the code from the SMS, the member card.
    page.goto(live_url + "/rider/")
    page.locator("#rider-join a").first.click()
    page.locator("#id_name").fill("骑手老李")
    page.locator("#id_phone").fill(RIDER)
    page.click("#send-code")
    expect(page.locator("#code-sent")).to_be_visible()
    page.locator("#id_code").fill(orm(lambda: last_code(RIDER)))
    page.locator("#id_platform").select_option("饿了么")
    page.locator("#id_occupation").select_option("delivery")
    page.locator("#id_consent").check()
    page.click("#join-submit")
    expect(page.locator("#member-card")).to_be_visible()
    expect(page.locator("#member-name")).to_have_text("骑手老李")
    assert orm(lambda: Membership.objects.get(phone=RIDER).status) == "pending"

    # 3. Report a problem as a rider, with a photo and the phone's location.
    photo = tmp_path / "pothole.jpg"
    Image.new("RGB", (640, 480), (90, 90, 90)).save(photo, "JPEG")
    page.goto(live_url + "/rider/")
    page.locator("#rider-report").click()
    page.locator("#id_photos").set_input_files(str(photo))
    page.click("#use-location")
    expect(page.locator("#picked")).to_contain_text("✔")
    page.fill("#category-search", "垃圾")
    page.locator(".category-choice:visible").first.click()
    page.fill("#id_description", "驿站旁边人行道上垃圾满出来了，电动车没法停")
    page.locator("#id_is_rider").check()
    page.locator("#id_rider_platform").select_option(index=1)
    page.click("button[type=submit].primary")
    expect(page.locator("#tracking-code")).to_be_visible()
    code = page.locator("#tracking-code").inner_text()
    report = orm(lambda: Report.objects.get(tracking_code=code))
    assert report.is_rider and report.status == "filed" and report.case_id

    # 4. See it handled: the street closes the case; the follow page shows it; the rider rates it.
    orm(lambda: handle_to_closure(report.case_id, street))
    page.reload()
    expect(page.locator("#report-status")).to_have_text("已结案")
    page.locator("input[name=rating][value=satisfied]").check()
    page.click(".rating-form button[type=submit]")
    expect(page.locator("#report-status")).to_have_text("已评价")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "rider-flow-phone.png"), full_page=True)
    assert errors == [], errors
