""""Leave quickly" with JavaScript off (Tor Browser's safest level): a plain link at the top of
every public page that the keyboard reaches right after the skip link and that replaces the
page with the configured neutral site. The test points the setting at our own server, so no
request leaves the machine."""
from __future__ import annotations

import pytest


@pytest.fixture
def exit_url(app, live_server):
    target = f"{live_server}/healthz"
    chosen = app.config["QUICK_EXIT_URLS"]
    app.config["QUICK_EXIT_URLS"] = {"ko": target, "en": target}
    yield target
    app.config["QUICK_EXIT_URLS"] = chosen


@pytest.mark.parametrize("path", ["/ko/", "/ko/report", "/en/receipt", "/ko/safety"])
def test_leave_quickly_works_without_javascript(page_js_off, exit_url, path):
    page = page_js_off
    page.goto(path)
    page.get_by_role("link", name="빨리 나가기" if path.startswith("/ko") else "Leave quickly", exact=True).click()
    page.wait_for_url(exit_url)
    assert page.url == exit_url
    assert page.third_party_requests == []


def test_leave_quickly_is_the_first_thing_the_keyboard_reaches_after_the_skip_link(page_js_off, exit_url):
    page = page_js_off
    page.goto("/ko/report")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "quick-exit"
    # Big enough to hit at once on a phone (WCAG 2.5.5's 44 px).
    box = page.locator("#quick-exit").bounding_box()
    assert box["height"] >= 44 and box["y"] < 60
    page.keyboard.press("Enter")
    page.wait_for_url(exit_url)


def test_no_console_error_on_public_pages(page_js_on):
    """The browser's own request for /favicon.ico is answered: nothing red in the console."""
    for path in ("/ko/", "/ko/report", "/ko/receipt", "/ko/safety", "/en/", "/en/safety"):
        page_js_on.goto(path)
        page_js_on.wait_for_load_state("networkidle")
    assert page_js_on.console_errors == []
