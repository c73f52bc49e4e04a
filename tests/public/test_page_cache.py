"""Kept public pages (app/public/page_cache.py): rendered once, yet every visitor gets tokens of
their own, the stored data they should see, and nothing rendered for someone else."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import template_rendered

from app.extensions import db
from app.models import Submission, Update
from app.public import page_cache, update_views
from tests.factories import UpdateFactory
from tests.helpers import hidden_fields, receipt_code

KEPT = ["/ko/", "/en/", "/ko/report", "/en/report", "/ko/contact", "/ko/receipt", "/en/subscribe", "/ko/safety",
        "/ko/updates", "/en/updates.atom"]


@pytest.fixture
def rendered(app, monkeypatch):
    """The templates rendered while the test runs (and the Atom feeds, which are not templates)."""
    names: list[str] = []

    def record(sender, template, context, **extra):
        names.append(template.name)

    atom_feed = update_views.update_service.atom_feed
    monkeypatch.setattr(update_views.update_service, "atom_feed",
                        lambda *args: names.append("atom") or atom_feed(*args))
    template_rendered.connect(record, app)
    yield names
    template_rendered.disconnect(record, app)


@pytest.mark.parametrize("path", KEPT)
def test_a_page_is_rendered_once_and_then_served_as_kept(client, rendered, path):
    first = client.get(path)
    assert first.status_code == 200 and rendered
    rendered.clear()
    again = client.get(path)
    assert again.status_code == 200 and rendered == []
    assert again.content_type == first.content_type
    assert _without_tokens(again.get_data(as_text=True)) == _without_tokens(first.get_data(as_text=True))


def _without_tokens(html: str) -> str:
    for value in hidden_fields(html).values():
        html = html.replace(value, "")
    return html


@pytest.mark.parametrize("path", ["/ko/report", "/ko/contact", "/ko/receipt", "/en/subscribe"])
def test_every_visitor_gets_tokens_of_their_own(client, path):
    pages = [hidden_fields(client.get(path).get_data(as_text=True)) for _ in range(3)]
    assert all(page["csrf_token"] and page["csrf_token"] != page_cache.form_tokens.CSRF_MARK for page in pages)
    assert len({page["csrf_token"] for page in pages}) == 3
    if "form_token" in pages[0]:
        assert len({page["form_token"] for page in pages}) == 3
        assert page_cache.form_tokens.ONE_TIME_MARK not in {page["form_token"] for page in pages}


def test_two_people_sending_from_the_kept_form_are_both_stored(client, app_ctx):
    """Were the one-time form token kept with the page, the second person's report would be
    refused as a double of the first (and lost)."""
    forms = [hidden_fields(client.get("/ko/report").get_data(as_text=True)) for _ in range(2)]
    codes = []
    for number, tokens in enumerate(forms):
        response = client.post("/ko/report", data={**tokens, "narrative": f"{number}번째 사람의 제보입니다.",
                                                   "consent_processing": "y"}, content_type="multipart/form-data")
        assert response.status_code == 200, response.status_code
        codes.append(receipt_code(response.get_data(as_text=True)))
    assert len(set(codes)) == 2
    assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == 2


def test_a_token_from_a_kept_page_opens_only_its_own_form(client):
    contact = hidden_fields(client.get("/ko/contact").get_data(as_text=True))
    response = client.post("/ko/report", data={**contact, "narrative": "다른 양식의 토큰", "consent_processing": "y"},
                           content_type="multipart/form-data")
    assert response.status_code == 400


def test_a_visitor_with_a_cookie_gets_a_page_rendered_for_them(client, rendered):
    client.get("/ko/report")
    rendered.clear()
    client.set_cookie("session", "anything")
    assert client.get("/ko/report").status_code == 200
    assert "public/report_page.html" in rendered


def test_an_unknown_query_argument_is_rendered_and_not_kept(app, client, rendered):
    client.get("/ko/?utm=1")
    client.get("/ko/?utm=2")
    assert rendered.count("public/home.html") == 2
    with app.app_context():
        assert len(page_cache.store()) == 0


def test_a_page_that_is_not_found_is_not_kept(app, client):
    assert client.get("/ko/updates/no-such-update").status_code == 404
    assert client.get("/ko/updates?page=9").status_code == 404
    with app.app_context():
        assert len(page_cache.store()) == 0


def test_the_updates_pages_follow_every_change_to_an_update(client, app_ctx):
    update = UpdateFactory(slug="first-news")
    assert "소식 first-news" in client.get("/ko/updates").get_data(as_text=True)
    assert "소식 first-news" in client.get("/ko/updates.atom").get_data(as_text=True)
    assert client.get("/ko/updates/first-news").status_code == 200

    update.title_ko = "고친 제목"
    db.session.commit()
    for path in ("/ko/updates", "/ko/updates.atom", "/ko/updates/first-news"):
        assert "고친 제목" in client.get(path).get_data(as_text=True), path

    update.state = "draft"  # withdrawn
    db.session.commit()
    assert "고친 제목" not in client.get("/ko/updates").get_data(as_text=True)
    assert client.get("/ko/updates/first-news").status_code == 404

    UpdateFactory(slug="second-news")
    db.session.delete(db.session.scalar(sa.select(Update).where(Update.slug == "first-news")))
    db.session.commit()
    html = client.get("/ko/updates").get_data(as_text=True)
    assert "소식 second-news" in html and "first-news" not in html


def test_the_kept_page_names_the_host_it_was_asked_for(client):
    """The hreflang alternates are absolute: an onion visitor must not get the HTTPS address."""
    onion = client.get("/ko/", base_url="http://exampleonionaddressxyz.onion").get_data(as_text=True)
    https = client.get("/ko/", base_url="https://moksori.example").get_data(as_text=True)
    assert 'href="http://exampleonionaddressxyz.onion/en/"' in onion and "moksori.example" not in onion
    assert 'href="https://moksori.example/en/"' in https and ".onion" not in https


def test_hostile_host_headers_cannot_grow_the_store_without_bound(app, client, monkeypatch):
    monkeypatch.setattr(page_cache, "MAX_PAGES", 8)
    with app.app_context():
        app.extensions["moksori.kept_pages"] = page_cache.PageStore(size=8)
    for number in range(30):
        assert client.get("/ko/", base_url=f"http://host{number}.example").status_code == 200
    with app.app_context():
        assert len(page_cache.store()) == 8
