"""The report form on a small phone: optional sections folded into <details> (no JavaScript),
opened by an error inside them, saying what was answered; full-width digits in the year and
date stored as ASCII digits and the submitter told so; the empty form kept per language."""
from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from babel import support as babel_support

from app.extensions import db
from app.models import Category, Submission
from app.services import taxonomy
from tests.helpers import hidden_fields, opened, submit_report

FOLDED = ["section-categories", "section-when", "section-where", "section-who-was-harmed", "section-who-did-it",
          "section-how-the-submitter-knows", "section-contact"]


def details(html: str, section_id: str) -> str:
    """The <details> element of one folded section, opening tag to closing tag (the categories'
    section holds a <details> of sub-types per category: nesting is counted)."""
    start = re.search(rf'<details class="section fold" id="{section_id}"[^>]*>', html)
    assert start, section_id
    depth, position = 0, start.start()
    for tag in re.finditer(r"<details\b|</details>", html[position:]):
        depth += 1 if tag.group(0) == "<details" else -1
        if depth == 0:
            return html[position:position + tag.end()]
    raise AssertionError(f"{section_id} is not closed")


def opening_tag(html: str, section_id: str) -> str:
    return re.search(rf'<details class="section fold" id="{section_id}"[^>]*>', html).group(0)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_optional_sections_are_folded_and_the_account_is_not(client, lang):
    html = client.get(f"/{lang}/report").get_data(as_text=True)
    for section_id in FOLDED:
        assert " open" not in opening_tag(html, section_id)
    folded = "".join(details(html, section_id) for section_id in FOLDED)
    # What must be seen stays outside every fold: the account (required), the files, the consent,
    # the button; the account and files come before any folded question (issue 19).
    for name in ("narrative", "attachments", "keep_metadata", "consent_un", "consent_accountability",
                 "consent_publication", "submit"):
        assert f'name="{name}"' in html and f'name="{name}"' not in folded
    first_fold = html.index('<details class="section fold"')
    assert html.index('name="narrative"') < html.index('name="attachments"') < first_fold
    assert 'name="categories"' in details(html, "section-categories")
    assert 'name="when_year"' in details(html, "section-when")
    assert 'name="contact_handle"' in details(html, "section-contact")
    assert "fold-filled" not in html  # nothing answered yet


def test_error_inside_a_folded_section_opens_it(client, app_ctx):
    response = submit_report(client, when_precision="year", when_year="삼천", place="회령시")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    when = details(html, "section-when")
    assert " open" in opening_tag(html, "section-when")
    assert 'id="when_year-error"' in when and "1945년부터" in when
    assert 'href="#when_year"' in html  # the error summary's link lands inside the open section
    # A section without an error stays folded and says that something was answered in it.
    assert " open" not in opening_tag(html, "section-where")
    assert "질문 1개에 답하셨습니다" in details(html, "section-where")
    assert 'value="회령시"' in details(html, "section-where")
    assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == 0


def test_summary_counts_answers_in_english(client):
    response = submit_report(client, lang="en", narrative="", province="KP-09", place="Hoeryong",
                             contact_channel="signal")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "2 questions answered" in details(html, "section-where")
    # Signal without a handle is an error: the contact section opens to show it.
    assert " open" in opening_tag(html, "section-contact")
    assert 'id="contact_handle-error"' in details(html, "section-contact")
    assert " open" not in opening_tag(html, "section-where")


def test_full_width_year_is_stored_as_digits_and_the_receipt_page_says_so(client, app_ctx, org_keys):
    response = submit_report(client, when_precision="year", when_year="２０２５년")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:2000]
    assert 'id="receipt-code"' in html
    assert "연도는 2025년으로 저장했습니다." in html
    item = db.session.scalar(sa.select(Submission))
    assert item.when_year == 2025
    opened(item, org_keys.keyring)
    assert item.when_text is None  # only the year applies to this answer


def test_full_width_date_is_stored_as_a_date(client, app_ctx):
    response = submit_report(client, lang="en", when_precision="day", when_date="２０１９－０３－２１")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:2000]
    assert "We saved the date as 21 March 2019." in html
    assert db.session.scalar(sa.select(Submission.when_date)) == date(2019, 3, 21)


def test_ascii_year_needs_no_notice(client, app_ctx):
    html = submit_report(client, when_precision="year", when_year="2015년").get_data(as_text=True)
    assert db.session.scalar(sa.select(Submission.when_year)) == 2015
    assert "저장했습니다" not in html


def test_free_text_keeps_full_width_characters_as_written(client, app_ctx, org_keys):
    """Only the digit fields are NFKC-normalized: the submitter's own words are kept as typed."""
    words = "２０１０년 겨울, ㈜ 앞에서"
    assert submit_report(client, when_precision="approximate", when_text=words, place="회령 ３호").status_code == 200
    item = db.session.scalar(sa.select(Submission))
    opened(item, org_keys.keyring)
    assert item.when_text == words
    assert item.place == "회령 ３호"


def test_full_width_year_shown_as_stored_when_the_form_comes_back(client):
    response = submit_report(client, narrative="", when_precision="year", when_year="２０１５")
    assert response.status_code == 422
    assert 'value="2015"' in details(response.get_data(as_text=True), "section-when")


def test_kept_empty_form_never_carries_someone_elses_answers(app, client):
    tokens = hidden_fields(client.get("/ko/report").get_data(as_text=True))
    app.extensions.pop("moksori.report_fields", None)  # nothing kept (a new process): the answers come first
    answers = {**tokens, "narrative": "", "place": "아무도 보면 안 되는 장소",
               "when_precision": "year", "when_year": "1"}
    assert client.post("/ko/report", data=answers).status_code == 422
    html = app.test_client().get("/ko/report").get_data(as_text=True)
    assert "아무도 보면 안 되는 장소" not in html
    assert "field-error" not in html and "fold-filled" not in html and " open" not in opening_tag(html, "section-when")


def test_kept_form_follows_the_taxonomy_and_the_upload_limits(app, client, monkeypatch):
    assert "99MB" not in client.get("/ko/report").get_data(as_text=True)
    # Settings are read at start-up; kept pages (app/public/page_cache.py) are a worker's own.
    monkeypatch.setitem(app.config, "KEEP_PUBLIC_PAGES", False)
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 99)
    assert "99MB" in client.get("/ko/report").get_data(as_text=True)
    monkeypatch.setitem(app.config, "KEEP_PUBLIC_PAGES", True)

    with app.app_context():
        category = db.session.scalar(sa.select(Category).where(Category.parent_id.is_(None)).order_by(Category.code))
        category_id, old_label = category.id, category.label_ko
        category.label_ko = "새로 고친 분류 이름"
        db.session.commit()
    try:
        taxonomy._cache.clear()  # what the taxonomy cache's expiry does after CACHE_SECONDS
        assert "새로 고친 분류 이름" in client.get("/ko/report").get_data(as_text=True)
    finally:
        with app.app_context():
            db.session.get(Category, category_id).label_ko = old_label
            db.session.commit()
        taxonomy._cache.clear()


def test_warm_report_form_asks_the_database_nothing_and_reads_no_catalog(app, client, monkeypatch):
    """Once a process has shown the form, showing it again needs neither a database round trip
    (on SQLite each one takes the write lock) nor WTForms' catalog read from disk."""
    assert client.get("/en/report").status_code == 200
    assert client.get("/ko/report").status_code == 200
    statements, catalogs = [], []
    monkeypatch.setattr(babel_support.Translations, "load",
                        classmethod(lambda cls, *args, **kwargs: catalogs.append(args) or cls()))
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731  (conn, cursor, statement, ...)
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        html = client.get("/ko/report").get_data(as_text=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert "제보 보내기" in html
    assert statements == [] and catalogs == []
