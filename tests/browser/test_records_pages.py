"""The records pages in a real Chromium with JavaScript off (issue 22): the list and a person's
page at 360 and 1280 px are never wider than the window, and axe-core finds nothing, in Korean
and in English. Screenshots of both widths (Korean) go to the test's folder for a look."""
from __future__ import annotations

import re

import pyotp
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import RecordLink
from app.sealed import records as sealed
from app.services.records import records
from app.services.records.records import RecordInput
from tests.browser.conftest import _open_page, axe_problems
from tests.factories import PASSWORD, SubmissionFactory, UserFactory

PHONE = {"width": 360, "height": 800}
DESKTOP = {"width": 1280, "height": 900}


def log_in(page, email: str) -> None:
    """Password, then the first login's TOTP enrollment; forms only, no script."""
    page.goto("/staff/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#submit").click()
    secret = page.locator("#totp-secret").inner_text().strip()
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    page.locator("#submit").click()
    page.wait_for_url(re.compile(r"/staff/$"))


@pytest.fixture
def seeded(app, org_keys):
    item = SubmissionFactory()
    with app.app_context():
        place = records.create(db.session, None, RecordInput(
            kind="place", name="함경북도 온성군 남양노동자구 보위부 집결소", aliases=["Onsong jipgyolso"],
            province="KP-09", facility_type="jipgyolso"))
        person = records.create(db.session, None, RecordInput(
            kind="person", name="박영호", person_role="perpetrator", agency="prosecutor_court",
            aliases=["Pak Yong-ho", "박령호", "Bak Yeong-ho (South Korean romanization, a long alias)",
                     "ParkYoungHoWithoutAnySpacesInALongRomanization"],
            description="회령시 보위부 반탐과 지도원. " * 20))
        event = records.create(db.session, None, RecordInput(
            kind="event", name="2019년 겨울 온성 집결소에서의 구타와 심문", when_precision="month",
            when_year=2019, when_month=12, place_public_id=place.public_id, category_codes=["V02.1", "V03"]))
        records.add_involvement(db.session, None, event, person, "perpetrator")
        link = RecordLink(record_id=person.id, submission_id=item.id, role="perpetrator")
        sealed.seal_passage(db.session, link, "그 지도원이 밤새 때렸다고 적혀 있습니다. " * 5, org_keys.keyring)
        for n in range(8):
            records.create(db.session, None, RecordInput(kind="person", name=f"목격자 {n}", person_role="witness"))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RecordLink)) == 1
        return person.public_id


def _pages(seeded: str):
    return (("/staff/records", "list"), (f"/staff/records/{seeded}", "person"))


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_list_and_person_page_fit_without_javascript(browser, live_server, seeded, lang, tmp_path):
    email = f"records-{lang}@example.org"
    UserFactory(email=email, languages=(lang,), locale=lang)
    context, page = _open_page(browser, live_server, java_script_enabled=False, viewport=DESKTOP)
    try:
        log_in(page, email)
        for viewport in (PHONE, DESKTOP):
            page.set_viewport_size(viewport)
            for path, name in _pages(seeded):
                page.goto(path)
                assert page.locator("html").get_attribute("lang") == lang
                wider = page.evaluate(  # named in the failure: which element is too wide
                    "w => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w)"
                    ".map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 8)", viewport["width"])
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], (path, wider)
                if lang == "ko":
                    page.screenshot(path=str(tmp_path / f"records-{name}-{viewport['width']}.png"), full_page=True)
        assert page.third_party_requests == [] and page.console_errors == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_list_and_person_page_pass_axe(browser, live_server, seeded, lang):
    """axe-core is injected as a script, so it runs in a context with JavaScript on (the pages
    are the same: nothing on them needs a script)."""
    email = f"records-axe-{lang}@example.org"
    UserFactory(email=email, languages=(lang,), locale=lang)
    context, page = _open_page(browser, live_server, viewport=DESKTOP)
    try:
        log_in(page, email)
        for viewport in (PHONE, DESKTOP):
            page.set_viewport_size(viewport)
            for path, _name in _pages(seeded):
                page.goto(path)
                problems = axe_problems(page)
                assert not problems, f"axe on {path} at {viewport['width']} px ({lang}): " + "; ".join(problems)
    finally:
        context.close()
