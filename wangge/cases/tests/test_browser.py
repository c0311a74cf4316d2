"""One case through the whole loop in a real browser, by three users: operator, department handler,
grid worker (the case page's actions are htmx forms)."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from PIL import Image
from playwright.sync_api import expect
from shapely import point_on_surface

from wangge.accounts.models import User
from wangge.cases.models import Case
from wangge.core.geo import to_shape
from wangge.grids.tests.test_browser import ARTIFACTS, browser_page, live_url  # noqa: F401 - fixtures


@pytest.fixture
def street(transactional_db):
    call_command("seed_demo")
    handler = User.objects.get(username="h-urban")
    worker_grid = User.objects.get(username="gw01").person.assignments.first().grid
    point = point_on_surface(to_shape(worker_grid.geometry))
    return {"handler": handler, "point": point, "department": handler.person.department}


def orm(fn):
    """Run ORM code beside Playwright's event loop: in a thread of its own, closing its connection."""

    def run():
        try:
            return fn()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def login(page, base, username):
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "wangge123")
    page.click("button[type=submit].primary")
    expect(page.locator(".topbar .who")).to_be_visible()


def logout(page):
    page.click(".topbar form[action='/accounts/logout/'] button")


def photo(tmp_path: Path) -> Path:
    path = tmp_path / "after.jpg"
    Image.new("RGB", (120, 90), (30, 160, 60)).save(path, "JPEG")
    return path


def do(page, action, reason=None):
    form = page.locator(f"form.action[data-action={action}]")
    if reason is not None:
        form.locator("textarea[name=reason]").fill(reason)
    form.locator("button[type=submit]").click()


@pytest.mark.browser
def test_case_through_the_whole_loop_by_three_users(live_url, street, browser_page, tmp_path):  # noqa: F811
    page = browser_page
    # 1. The operator reports a case by clicking the map inside gw01's grid, accepts and dispatches it.
    login(page, live_url, "operator")
    page.goto(live_url + "/cases/new/")
    page.select_option("#id_category", "SJ0101")
    page.fill("#id_description", "浏览器测试：垃圾堆放")
    pt = street["point"]
    page.evaluate(f"document.getElementById('id_lon').value = '{pt.x}'; document.getElementById('id_lat').value = '{pt.y}'")
    page.click("button[type=submit].primary")
    expect(page.locator("#case-state")).to_have_text("已上报")
    code = page.locator("h1").inner_text().split()[0]
    do(page, "accept")
    expect(page.locator("#case-state")).to_have_text("已立案")
    page.locator("form.action[data-action=dispatch] select[name=lead_department_id]").select_option(str(street["department"].pk))
    do(page, "dispatch")
    expect(page.locator("#case-state")).to_have_text("已派遣")
    expect(page.locator("form.action[data-action=close]")).to_have_count(0)  # only the allowed actions are offered
    expect(page.locator("form.action[data-action=reassign]")).to_have_count(1)
    logout(page)

    # 2. The handler finds it in the inbox, signs, reports back with a photo.
    login(page, live_url, "h-urban")
    page.goto(live_url + "/cases/?state=dispatched")
    page.click(f"text={code}")
    do(page, "sign")
    expect(page.locator("#case-state")).to_have_text("处置中")
    form = page.locator("form.action[data-action=feedback]")
    form.locator("input[type=file]").set_input_files(str(photo(tmp_path)))
    do(page, "feedback", "已清运完毕")
    expect(page.locator("#case-state")).to_have_text("已反馈")
    expect(page.locator(".photos img")).to_have_count(1)
    logout(page)

    # 3. The grid worker verifies on site; the operator closes.
    login(page, live_url, "gw01")
    page.goto(live_url + "/cases/")
    page.click(f"text={code}")
    do(page, "verify_pass")
    expect(page.locator("#case-state")).to_have_text("已核查")
    logout(page)
    login(page, live_url, "operator")
    page.goto(live_url + f"/cases/{code}/")
    do(page, "close")
    expect(page.locator("#case-state")).to_have_text("已结案")
    expect(page.locator(".timeline li")).to_have_count(7)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "case-closed.png"), full_page=True)
    case = orm(lambda: Case.objects.get(code=code))
    assert case.state == "closed" and orm(case.attachments.count) == 1
    assert orm(lambda: list(case.events.order_by("seq").values_list("action", flat=True))) == [
        "report", "accept", "dispatch", "sign", "feedback", "verify_pass", "close"]


@pytest.mark.browser
def test_stale_page_gets_a_clear_conflict(live_url, street, browser_page):  # noqa: F811
    from wangge.cases.services import case_act

    page = browser_page
    login(page, live_url, "operator")
    case = orm(lambda: Case.objects.filter(state="reported").first())
    page.goto(live_url + f"/cases/{case.code}/")
    other = orm(lambda: User.objects.get(username="operator2"))
    orm(lambda: case_act(case_id=case.pk, actor=other, action="accept"))  # someone else, meanwhile
    do(page, "reject", "重复")
    expect(page.locator(".panel .error")).to_contain_text("城运中心操作员")
    expect(page.locator("#case-state")).to_have_text("已立案")
