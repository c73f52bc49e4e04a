"""The partner-group pages in a real Chromium (issue 23, item 5): with JavaScript off at 360 px,
joining, the space, a new testimony and the settings work, fit the width and set no cookie
before joining; with JavaScript on (axe-core runs as a script), no page has an axe violation."""
from __future__ import annotations

from tests.browser.conftest import axe_problems
from tests.groups.pages import PASSPHRASE, create_group

BEFORE_JOINING = ["/ko/group", "/en/group", "/ko/group/join", "/en/group/join"]
IN_SPACE = ["/ko/group/space", "/ko/group/space/new", "/ko/group/space/settings",
            "/en/group/space", "/en/group/space/new", "/en/group/space/settings"]


def _join(app, auth, page):
    admin = app.test_client()
    auth.login("admin", client=admin)
    code = create_group(admin)
    page.goto("/ko/group/join")
    page.fill("#code", code)
    page.fill("#passphrase", PASSPHRASE)
    page.fill("#passphrase_again", PASSPHRASE)
    page.click("main form [type=submit]")
    assert page.locator("#group-recovery-code").is_visible()


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def test_group_pages_at_360px_without_javascript(app, auth, page_js_off):
    page = page_js_off
    for path in BEFORE_JOINING:
        assert page.goto(path).status == 200
        assert page.context.cookies() == [], path
        assert _fits(page), path
    _join(app, auth, page)
    for path in IN_SPACE:
        assert page.goto(path).status == 200, path
        assert _fits(page), path
    page.goto("/ko/group/space/new")
    page.fill("#narrative", "브라우저에서 보낸 모임의 증언입니다.")
    page.click("form.report-form [type=submit]")
    assert "브라우저에서 보낸 모임의 증언입니다." in page.content() and _fits(page)
    assert page.third_party_requests == [] and page.console_errors == []


def test_group_pages_have_no_axe_violation(app, auth, page_js_on):
    page = page_js_on
    for path in BEFORE_JOINING:
        page.goto(path)
        assert axe_problems(page) == [], path
    _join(app, auth, page)
    assert axe_problems(page) == []
    for path in IN_SPACE:
        page.goto(path)
        assert axe_problems(page) == [], path
