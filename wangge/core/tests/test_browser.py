"""The top bar and wide tables in a real browser: an operator's wall screen and a phone."""

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from wangge.grids.tests.test_browser import CHROMIUM, CHROMIUM_ARGS, live_url  # noqa: F401 - fixture

BROKEN = """() => [...document.querySelectorAll('.topbar a, .topbar button, .topbar .who')]
  .filter(el => el.getClientRects().length > 1 || el.getBoundingClientRect().height > 30)
  .map(el => el.textContent.trim())"""


@pytest.mark.browser
def test_top_bar_labels_never_break_and_wide_tables_scroll_by_themselves(live_url, people):  # noqa: F811
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup --test installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for lang, size in (("zh-hans", (1280, 800)), ("en", (1280, 800)), ("en", (390, 844))):
            context = browser.new_context(viewport={"width": size[0], "height": size[1]})
            context.add_cookies([{"name": "django_language", "value": lang, "url": live_url}])
            page = context.new_page()
            page.goto(live_url + "/accounts/login/")
            page.fill("#id_username", "op")
            page.fill("#id_password", "pw-op-1")
            page.locator("form:not(.lang) button[type=submit]").click()
            page.goto(live_url + "/hotline/")
            # No label split over two lines ("Log / out", "接 / 口文档").
            assert page.evaluate(BROKEN) == [], (lang, size)
            widths = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
            assert widths[0] <= widths[1], (lang, size, widths)  # the imports table scrolls, not the page
            context.close()
        browser.close()
