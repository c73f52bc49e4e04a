"""Linking an item to records in a real browser with JavaScript off (issue 22, items 2 and 6):
search and link, link a suggestion, create a record in place, at 1280 and 360 px, in Korean and
English; the panel never scrolls sideways and axe-core finds nothing (axe is a script, so it
looks at the same pages in a second window with JavaScript on)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from app.extensions import db
from app.services.records import records
from app.services.records.records import RecordInput
from tests.browser.conftest import _open_page
from tests.browser.test_workspace_layout import DESKTOP, PHONE, log_in, no_axe_violations
from tests.factories import SubmissionFactory, UserFactory

NARRATIVE = ("2019년 겨울에 회령 보위부에 잡혀갔습니다. 그때 박영호 지도원이 저를 심문했습니다.\n"
             "그 다음 전거리교화소로 보내졌는데, 그곳에서 있었던 일을 자세히 적습니다.")
SHOTS = Path(os.environ.get("LINKING_SCREENSHOTS", "/tmp/linking-screenshots"))
TEXT = {
    "ko": {"find": "기록 찾기", "link": "연결", "create": "만들어 연결", "new": "기록을 새로 만들어 연결",
           "linked": "연결했습니다.", "suggested": "이 글에 나오는 기록", "lang": "ko"},
    "en": {"find": "Find records", "link": "Link", "create": "Create and link", "new": "Create a record and link it",
           "linked": "Linked.", "suggested": "Records this text names", "lang": "en"},
}


def fits(page, viewport) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    panel = page.locator("#records").bounding_box()
    assert panel and panel["x"] >= 0 and panel["x"] + panel["width"] <= viewport["width"]


@pytest.fixture
def officer_page(browser, live_server, app):
    contexts = []

    def open_(lang, viewport, javascript=False):
        email = f"linker-{lang}-{viewport['width']}-{javascript}@example.org".lower()
        UserFactory(email=email, **({"english": True} if lang == "en" else {}))
        # Staff pages follow the account's language, not the browser's.
        context, page = _open_page(browser, live_server, viewport=viewport, java_script_enabled=javascript)
        contexts.append(context)
        log_in(page, email)
        return page

    yield open_
    for context in contexts:
        context.close()


def _records(app) -> tuple[str, str]:
    with app.app_context():
        person = records.create(db.session, None, RecordInput(
            kind="person", name="박영호", aliases=["Pak Yong-ho"], person_role="perpetrator", agency="state_security"))
        place = records.create(db.session, None, RecordInput(
            kind="place", name="회령 보위부 구류장", aliases=["회령 구류장"], province="KP-09",
            facility_type="guryujang"))
        # Named in the text and never linked here: the page always has a suggestion to show.
        records.create(db.session, None, RecordInput(kind="place", name="전거리교화소", facility_type="kyohwaso"))
        db.session.commit()
        return person.public_id, place.public_id


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "360"])
def test_link_search_suggestion_and_create_without_javascript(app, officer_page, lang, viewport):
    words = TEXT[lang]
    person, place = _records(app)
    item = SubmissionFactory(narrative=NARRATIVE).public_id
    page = officer_page(lang, viewport)
    page.goto(f"/staff/submissions/{item}")
    assert page.locator("html").get_attribute("lang") == words["lang"]

    # The text names 박영호: suggested with the sentence it occurs in, linked in one click.
    panel = page.locator("#records")
    assert words["suggested"] in panel.inner_text()
    suggestion = page.locator(f"#suggested-{person}-passage")
    assert "박영호 지도원이 저를 심문했습니다" in suggestion.input_value()
    fits(page, viewport)
    suggestion.locator("xpath=ancestor::form").get_by_role("button", name=words["link"], exact=True).click()
    page.wait_for_url(re.compile(r"#records$"))
    assert words["linked"] in page.locator("main").inner_text()

    # Search for the holding centre by another name, then link it with a passage of our own.
    page.locator("#records-query").fill("구류장")
    page.get_by_role("button", name=words["find"]).click()
    page.wait_for_url(re.compile(r"records=%EA%B5%AC%EB%A5%98%EC%9E%A5"))
    passage = page.locator(f"#found-{place}-passage")
    passage.fill("회령 보위부에 잡혀갔습니다")
    passage.locator("xpath=ancestor::form").get_by_role("button", name=words["link"], exact=True).click()
    page.wait_for_url(re.compile(r"#records$"))

    # Create an event in place and link it.
    page.locator(".record-new > summary").click()
    page.locator("#newrecord-kind").select_option("event")
    page.locator("#newrecord-name").fill("2019년 겨울 회령 보위부 심문")
    page.locator("#newrecord-passage").fill("그때 박영호 지도원이 저를 심문했습니다.")
    page.get_by_role("button", name=words["create"]).click()
    page.wait_for_url(re.compile(r"#records$"))

    links = page.locator(".record-links > li")
    assert links.count() == 3
    listed = page.locator(".record-links").inner_text()
    assert "박영호" in listed and "회령 보위부 구류장" in listed and "2019년 겨울 회령 보위부 심문" in listed
    fits(page, viewport)
    page.goto(f"/staff/submissions/{item}?records=%EA%B5%AC%EB%A5%98%EC%9E%A5#records")  # 구류장
    fits(page, viewport)
    if lang == "ko":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("#records").screenshot(path=str(SHOTS / f"records-{viewport['width']}.png"))
        page.screenshot(path=str(SHOTS / f"item-{viewport['width']}.png"), full_page=True)

    # The same page, with links, a suggestion, search results and the open creation form, to axe.
    checked = officer_page(lang, viewport, javascript=True)
    checked.goto(f"/staff/submissions/{item}?records=%EA%B5%AC%EB%A5%98%EC%9E%A5#records")
    checked.locator(".record-new > summary").click()
    assert checked.locator(".record-links > li").count() == 3 and checked.locator(".record-choice").count() >= 2
    no_axe_violations(checked, f"item page with linked records ({lang}, {viewport['width']} px)")
