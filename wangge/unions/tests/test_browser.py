"""At phone size (390×844), in a real browser, a rider opens the union's join page (what its QR code
opens), asks for a code, types it from the SMS (read from the logging SMS backend), joins and lands on the
member card; the union's staff approve the application in the console and the card shows it."""

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from conftest import metres
from wangge.cases.tests.test_browser import login, orm
from wangge.core.geo import to_geojson
from wangge.core.services import jurisdiction_upsert
from wangge.grids.tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, browser_page, live_url  # noqa: F401
from wangge.unions.demo import demo_unions_load
from wangge.unions.models import Membership, Union
from wangge.unions.tests.conftest import last_code

PHONE_SIZE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
RIDER_PHONE = "13700001234"


@pytest.fixture
def demo(transactional_db):
    """The unions' demo data (what seed_demo loads for them) on a bare street: quicker than the whole demo."""
    j = jurisdiction_upsert(code="T1", name="测试街道", boundary=to_geojson(metres(0, 0, 1000, 1000), 9))
    demo_unions_load(jurisdiction=j)
    return Union.objects.get(kind="new_employment")


@pytest.fixture
def phone(demo):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup --test installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(**PHONE_SIZE, locale="zh-CN")
        yield context.new_page()
        context.close()
        browser.close()


@pytest.mark.browser
def test_a_rider_joins_on_a_phone_and_gets_a_member_card(live_url, demo, phone, outbox):  # noqa: F811
    page = phone
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_url}/u/{demo.code}/")
    expect(page.locator("#union-name")).to_have_text(demo.name)
    # English labels: stable before and after the Chinese catalogue is compiled (the page is Chinese first).
    page.click(".lang button[value=en]")
    expect(page.locator("h1")).to_contain_text("Join the union")
    expect(page.locator("#union-name")).to_have_text(demo.name)

    page.get_by_label("Name", exact=True).fill("骑手小王")
    page.get_by_label("Mobile number").fill("1370000123")  # one digit short
    page.get_by_role("button", name="Send code").click()
    expect(page.locator("#phone-error")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_have_value("骑手小王")  # nothing lost
    page.get_by_label("Mobile number").fill(RIDER_PHONE)
    page.get_by_role("button", name="Send code").click()
    expect(page.locator("#code-sent")).to_contain_text("137****1234")

    page.get_by_label("Confirmation code").fill(last_code(RIDER_PHONE))
    page.get_by_label("Platform").select_option("美团")
    page.get_by_label("Occupation").select_option("delivery")
    page.get_by_label("Last 4 characters of ID number (optional)").fill("12a4")
    page.get_by_label("I agree that the union keeps these details to manage my membership.").check()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "union-join-phone.png"), full_page=True)
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.locator("#id-fragment-error")).to_be_visible()  # the code is not spent by the typo
    page.get_by_label("Last 4 characters of ID number (optional)").fill("124x")
    page.get_by_role("button", name="Join", exact=True).click()

    expect(page.locator("#member-card")).to_be_visible()
    expect(page.locator("#member-name")).to_have_text("骑手小王")
    expect(page.locator("#member-status")).to_have_text("Awaiting review")
    expect(page.locator("#member-card svg.qr")).to_be_visible()
    member_no = page.locator("#member-no").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the card page scrolls sideways at phone width ({width}px)"
    page.screenshot(path=str(ARTIFACTS / "union-card-phone.png"), full_page=True)
    m = orm(lambda: Membership.objects.select_related("union").get(phone=RIDER_PHONE))
    assert (m.member_no, m.name, m.id_fragment, m.platform, m.status) == (member_no, "骑手小王", "124X", "美团", "pending")
    card_url = page.url

    # The union's staff approve it in the console; the rider's card shows it.
    staff_page = page.context.new_page()
    login(staff_page, live_url, "union01")
    staff_page.goto(f"{live_url}/unions/{demo.code}/?status=pending")
    row = staff_page.locator(f"#member-{m.pk}")
    expect(row).to_contain_text(RIDER_PHONE)
    row.get_by_role("button", name=f"Approve {member_no}").click()
    expect(staff_page.locator(f"#member-{m.pk}")).to_have_count(0)  # no longer pending
    page.goto(card_url)
    expect(page.locator("#member-status")).to_have_text("Approved")
    assert errors == [], errors
