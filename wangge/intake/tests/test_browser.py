"""At phone size, in a real browser, a resident files a report with a photo and their location, follows it
while the street handles it, and rates the result — no account, only the tracking code."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import expect, sync_playwright
from shapely import point_on_surface

from wangge.accounts.models import User
from wangge.cases.services import case_act
from wangge.cases.tests.test_browser import login, orm
from wangge.core.geo import to_shape
from wangge.grids.tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, live_url  # noqa: F401 - fixture
from wangge.intake.models import Report

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture
def street(transactional_db):
    call_command("seed_demo")
    worker = User.objects.get(username="gw01")
    grid = worker.person.assignments.first().grid
    point = point_on_surface(to_shape(grid.geometry))
    return {"point": point, "worker": worker, "operator": User.objects.get(username="operator"),
            "handler": User.objects.get(username="h-urban")}


@pytest.fixture
def phone(street):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup --test installs Debian's chromium")
    pt = street["point"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(**PHONE, locale="zh-CN", geolocation={"longitude": pt.x, "latitude": pt.y},
                                      permissions=["geolocation"])
        yield context.new_page()
        context.close()
        browser.close()


def handle_to_closure(case_id: int, street: dict) -> None:
    steps = [("accept", "operator", {}, ""),
             ("dispatch", "operator", {"lead_department_id": street["handler"].person.department_id}, ""),
             ("sign", "handler", {}, ""), ("feedback", "handler", {}, "已清运完毕"),
             ("verify_pass", "worker", {}, ""), ("close", "operator", {}, "")]
    for action, who, payload, reason in steps:
        case_act(case_id=case_id, actor=street[who], action=action, payload=payload, reason=reason)


@pytest.mark.browser
def test_a_resident_reports_on_a_phone_follows_the_case_and_rates_it(live_url, street, phone, tmp_path):  # noqa: F811
    page = phone
    photo = tmp_path / "problem.jpg"
    Image.new("RGB", (800, 600), (120, 80, 40)).save(photo, "JPEG")

    page.goto(live_url + "/report/")
    expect(page.locator("h1")).to_contain_text("上报问题")
    page.locator("#id_photos").set_input_files(str(photo))
    expect(page.locator("#photo-previews img")).to_have_count(1)
    page.click("#use-location")
    expect(page.locator("#picked")).to_contain_text("✔")
    page.fill("#category-search", "垃圾")
    page.locator(".category-choice:visible").first.click()
    expect(page.locator("#category-chosen")).to_be_visible()
    page.fill("#id_description", "小区门口垃圾堆了三天没人清运，气味很大")
    page.fill("#id_reporter_phone", "13912345678")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-phone.png"), full_page=True)
    page.click("button[type=submit].primary")

    expect(page.locator("#tracking-code")).to_be_visible()
    code = page.locator("#tracking-code").inner_text()
    report = orm(lambda: Report.objects.select_related("case").get(tracking_code=code))
    assert report.status == "filed" and report.location_source == "gps" and report.reporter_phone == "13912345678"
    assert orm(report.case.attachments.count) == 1
    expect(page.locator("#public-timeline li")).to_have_count(2)  # received, filed
    assert "13912345678" not in page.content()

    orm(lambda: handle_to_closure(report.case_id, street))
    page.reload()
    expect(page.locator("#report-status")).to_have_text("已结案")
    expect(page.locator("#public-timeline")).to_contain_text("核查通过")
    assert "h-urban" not in page.content() and "已清运完毕" not in page.content()  # no names, no internal notes
    page.locator("input[name=rating][value=satisfied]").check()
    page.fill("textarea[name=comment]", "处理很快")
    page.click(".rating-form button[type=submit]")
    expect(page.locator("#report-status")).to_have_text("已评价")
    page.screenshot(path=str(ARTIFACTS / "follow-phone.png"), full_page=True)
    case = orm(lambda: Report.objects.get(tracking_code=code).case)
    assert case.state == "evaluated" and case.rating == "satisfied"


@pytest.mark.browser
def test_an_operator_places_an_unlocated_report_on_the_triage_map(live_url, street):  # noqa: F811
    """The report's place field, then a click on the street's map: the field takes the point, and filing it opens
    the case there."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup --test installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = context.new_page()
        login(page, live_url, "operator")
        page.goto(live_url + "/triage/?reason=unlocated")
        row = page.locator("tr.triage-row", has=page.locator("input[name=where]")).first
        code = row.get_attribute("data-code")
        where = row.locator("input[name=where]")
        where.click()
        expect(page.locator("#triage-map-hint")).to_contain_text(code)
        box = page.locator("#triage-map").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        expect(where).to_have_value(re.compile(r"^\d+\.\d{6},\d+\.\d{6}$"))
        lat, lon = (float(v) for v in where.input_value().split(","))
        row.locator("button.primary").click()
        expect(page.locator(f"tr[data-code='{code}'] .tag.done")).to_be_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "triage-map.png"), full_page=True)
        context.close()
        browser.close()
    report = orm(lambda: Report.objects.select_related("case").get(tracking_code=code))
    assert report.status == "filed" and report.case is not None
    assert abs(report.case.lon - lon) < 1e-6 and abs(report.case.lat - lat) < 1e-6
