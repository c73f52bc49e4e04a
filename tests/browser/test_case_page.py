"""A case page in a real browser (issue 22): with JavaScript off, at 360 and 1280 px, in Korean
and English, it fits the width and an item is added and a note written through its forms;
axe-core finds nothing on it (axe runs as a script, with JavaScript on: the page itself has
none, so it is the same page). Screenshots go to $CASE_SCREENSHOTS when it is set."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from app.extensions import db
from app.models import RecordLink, User
from app.services.records import cases, records
from app.services.records.cases import CaseInput
from app.services.records.records import RecordInput
from tests.browser.conftest import _open_page, axe_problems
from tests.browser.test_workspace_layout import log_in
from tests.factories import SubmissionFactory, UserFactory

WIDTHS = [{"width": 360, "height": 800}, {"width": 1280, "height": 900}]
HEADINGS = {"ko": "한 출처에만 근거한 것", "en": "What rests on a single source"}


def seed_case(app, user_id: int) -> tuple[str, str]:
    """A case with three items (one a duplicate), a place and an event, and one item left out."""
    first = SubmissionFactory(source_connection="victim", when_precision="day", when_date=date(2019, 12, 3),
                              when_year=None, categories=("V02.1",))
    resent = SubmissionFactory(source_connection="victim", duplicate_of=first, status="duplicate")
    witness = SubmissionFactory(source_connection="witness", when_precision="year", when_year=2018)
    outside = SubmissionFactory(source_connection="heard")
    with app.app_context():
        user = db.session.get(User, user_id)
        place = records.create(db.session, user, RecordInput(
            kind="place", name="온성 집결소 (함경북도 온성군의 아주 긴 이름)", facility_type="jipgyolso",
            province="KP-09"))
        event = records.create(db.session, user, RecordInput(
            kind="event", name="2019년 겨울 집결소 구타", when_precision="month", when_year=2019, when_month=12))
        for item in (first, resent, witness):
            db.session.add(RecordLink(record_id=place.id, submission_id=item.id, role="place"))
        db.session.add(RecordLink(record_id=event.id, submission_id=first.id, role="event"))
        case = cases.create(db.session, user, CaseInput("온성 집결소 2019년 겨울", "세 사람의 제보를 모은 사안",
                                                        "building", user.id))
        for item in (first, resent, witness):
            cases.add_submission(db.session, user, case, item.public_id)
        for record in (place, event):
            cases.add_record(db.session, user, case, record.public_id)
        db.session.commit()
        return case.public_id, outside.public_id


@pytest.fixture
def officer_page(browser, live_server):
    contexts = []

    def open_(email, viewport, javascript=False):
        context, page = _open_page(browser, live_server, java_script_enabled=javascript, viewport=viewport)
        contexts.append(context)
        log_in(page, email)
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_case_page_works_without_javascript_at_360_and_1280_px(app, officer_page, lang):
    email = f"case-{lang}@example.org"
    user = UserFactory(email=email, **({"english": True} if lang == "en" else {}))
    public_id, outside = seed_case(app, user.id)
    shots = os.environ.get("CASE_SCREENSHOTS")
    page = officer_page(email, WIDTHS[0])
    for viewport in WIDTHS:
        page.set_viewport_size(viewport)
        assert page.goto(f"/staff/cases/{public_id}").status == 200
        assert page.locator("html").get_attribute("lang") == lang
        assert page.get_by_role("heading", name=HEADINGS[lang]).is_visible()
        assert page.locator("#case-timeline li").count() == 4  # three items and the event
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], viewport
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/case-{lang}-{viewport['width']}.png", full_page=True)
        page.goto("/staff/cases")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        if shots:
            page.screenshot(path=f"{shots}/cases-{lang}-{viewport['width']}.png", full_page=True)
    # The forms, without JavaScript: an item added, a note written.
    page.goto(f"/staff/cases/{public_id}")
    page.locator("#add_submission-submission").fill(outside)
    page.locator("#add_submission-submit").click()
    assert page.locator(f"#case-submissions a:text-is('{outside}')").count() == 1
    page.locator("#note-body").fill("교차 확인 필요")
    page.locator("#note-submit").click()
    assert page.locator("#case-notes").get_by_text("교차 확인 필요").is_visible()
    assert page.third_party_requests == [] and page.console_errors == []


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_case_pages_pass_axe_at_360_and_1280_px(app, officer_page, lang):
    email = f"axe-{lang}@example.org"
    user = UserFactory(email=email, **({"english": True} if lang == "en" else {}))
    public_id, outside = seed_case(app, user.id)
    page = officer_page(email, WIDTHS[0], javascript=True)
    for viewport in WIDTHS:
        page.set_viewport_size(viewport)
        for path in (f"/staff/cases/{public_id}", f"/staff/cases/{public_id}?q=온성", "/staff/cases",
                     "/staff/cases/new", f"/staff/submissions/{outside}"):
            page.goto(path)
            for details in page.locator("details.corroboration-sources summary").all():
                details.click()  # the lists of sources too
            problems = axe_problems(page)
            assert not problems, f"axe on {path} ({lang}, {viewport['width']} px): " + "; ".join(problems)
