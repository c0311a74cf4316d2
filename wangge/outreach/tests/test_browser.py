"""In a real browser: at phone size a rider answers the needs survey and signs up to an event (no account);
union staff open the survey results and see an ECharts chart per choice question."""

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from wangge.cases.tests.test_browser import orm
from wangge.grids.tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, browser_page, live_url  # noqa: F401
from wangge.outreach import services
from wangge.outreach.models import SignUp, SurveyResponse
from wangge.outreach.tests.test_services import GOOD

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phone():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup --test installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(**PHONE, locale="zh-CN")
        yield context.new_page()
        context.close()
        browser.close()


def watch_errors(page) -> list[str]:
    """Script errors and CSP violations; the 422 of a refused form is the page working, not an error."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and "status of 422" not in msg.text else None)
    return errors


@pytest.mark.browser
def test_a_rider_answers_the_survey_and_signs_up_on_a_phone(live_url, outreach, phone):  # noqa: F811
    page = phone
    errors = watch_errors(page)
    survey = outreach["survey"]

    page.goto(f"{live_url}/survey/{survey.code}/")
    expect(page.locator("h1")).to_have_text("小哥需求调查")
    page.click("#survey-submit")  # nothing answered: the required questions are marked, nothing is kept
    expect(page.locator("#error-need")).to_be_visible()
    expect(page.locator("#error-stars")).to_be_visible()
    assert orm(SurveyResponse.objects.count) == 0

    page.get_by_role("group", name="最需要哪项服务？").get_by_label("心理咨询").check()
    when = page.get_by_role("group", name="什么时间方便？")
    when.get_by_label("下午").check()
    when.get_by_label("晚上").check()
    page.get_by_role("radio", name="5 / 5").check()
    page.get_by_label("还有什么建议？").fill("晚上驿站多开一会儿")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "outreach-survey-phone.png"), full_page=True)
    page.click("#survey-submit")
    expect(page.locator("#survey-thanks")).to_be_visible()
    response = orm(SurveyResponse.objects.get)
    assert response.answers == {"need": "心理咨询", "when": ["下午", "晚上"], "stars": 5, "say": "晚上驿站多开一会儿"}
    page.goto(f"{live_url}/survey/{survey.code}/")  # the same phone again: thanked, no second form
    expect(page.locator("#survey-state")).to_be_visible()
    expect(page.locator("#survey-form")).to_have_count(0)

    page.goto(f"{live_url}/services/")
    expect(page.locator("#catalogue .service-card")).to_have_count(1)
    page.get_by_role("link", name="免费体检（上午场）").click()
    expect(page.locator("#seats-left")).to_have_text("2 / 2")
    page.locator("#id_name").fill("张三")
    page.locator("#id_phone").fill("1381234")
    page.click("#signup-submit")
    expect(page.locator(".errorlist")).to_be_visible()  # a malformed phone is refused next to the field
    page.locator("#id_phone").fill("13812345678")
    page.click("#signup-submit")
    expect(page.locator(".messages li")).to_contain_text("138****5678")
    expect(page.locator("#seats-left")).to_have_text("1 / 2")
    page.screenshot(path=str(ARTIFACTS / "outreach-signup-phone.png"), full_page=True)
    assert "13812345678" not in page.content()
    assert orm(lambda: list(SignUp.objects.values_list("name", "phone"))) == [("张三", "13812345678")]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    assert not errors, errors


@pytest.mark.browser
def test_union_staff_see_the_results_as_charts(live_url, outreach, browser_page):  # noqa: F811
    code = outreach["survey"].code
    for i, answers in enumerate([GOOD, {"need": "技能培训", "stars": 3}, {"need": "体检", "stars": 5, "when": ["晚上"]}]):
        orm(lambda a=answers, i=i: services.survey_answer(code=code, answers=a, device_key=f"d{i}"))
    page = browser_page
    errors = watch_errors(page)
    page.goto(live_url + "/accounts/login/")
    page.fill("#id_username", "union")
    page.fill("#id_password", "pw-union-1")
    page.click("button[type=submit].primary")
    expect(page.locator(".topbar .who")).to_be_visible()

    page.goto(live_url + "/outreach/")
    page.locator("#surveys-table a.results-link").first.click()
    expect(page.locator("#response-count")).to_contain_text("3")
    expect(page.locator("#results")).to_have_attribute("data-charts", "3")
    for qid in ("need", "when", "stars"):
        expect(page.locator(f"#chart-{qid} canvas")).to_have_count(1)
    box = page.locator("#chart-need canvas").bounding_box()
    assert box and box["width"] > 200 and box["height"] > 200
    expect(page.locator("#result-say")).to_contain_text("希望多开夜间场")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "outreach-results.png"), full_page=True)
    assert not errors, errors
