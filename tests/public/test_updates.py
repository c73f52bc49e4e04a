"""Public updates: list by topic and page, one update (and its missing-language page), Atom
feeds parsed as XML, and what publishing queues for subscribers."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import OutboxEmail
from app.services.outreach import subscriptions
from app.services.outreach import updates as update_service
from tests.factories import SubscriberFactory, UpdateFactory
from tests.helpers import post_form

A = "{http://www.w3.org/2005/Atom}"


def test_list_is_newest_first_and_paginated(client, app_ctx):
    for number in range(12):
        UpdateFactory(slug=f"u{number:02d}", days_ago=number)
    UpdateFactory(slug="draft", draft=True)
    first = client.get("/ko/updates").get_data(as_text=True)
    assert first.index("소식 u00") < first.index("소식 u09") and "소식 u10" not in first
    assert "소식 draft" not in first
    assert "2쪽 중 1쪽" in first and 'rel="next" href="/ko/updates?page=2"' in first
    second = client.get("/ko/updates?page=2").get_data(as_text=True)
    assert "소식 u11" in second and 'rel="prev"' in second
    assert client.get("/ko/updates?page=3").status_code == 404
    assert client.get("/ko/updates?page=abc").status_code == 200


def test_list_by_topic_keeps_the_topic_across_languages(client, app_ctx):
    UpdateFactory(slug="camps", topics=["reports"])
    UpdateFactory(slug="un-session", topics=["advocacy", "news"])
    html = client.get("/ko/updates?topic=advocacy").get_data(as_text=True)
    assert "소식 un-session" in html and "소식 camps" not in html
    assert 'aria-current="page">유엔과 국제 활동' in html.replace('href="/ko/updates?topic=advocacy"', "")
    assert 'href="/en/updates?topic=advocacy"' in html
    assert "소식 camps" in client.get("/ko/updates?topic=nonsense").get_data(as_text=True)
    assert "이 주제의 소식이 아직 없습니다." in client.get("/ko/updates?topic=support").get_data(as_text=True)


def test_update_page_renders_sanitized_markdown(client, app_ctx):
    UpdateFactory(slug="camps")
    html = client.get("/ko/updates/camps").get_data(as_text=True)
    assert "<h1>소식 camps</h1>" in html and "<strong>구금 시설</strong>" in html
    assert "<script>alert" not in html
    assert 'href="/en/updates/camps"' in html  # the same update in the other language, one click away


def test_missing_language_is_explained_and_the_other_offered(client, app_ctx):
    UpdateFactory(slug="ko-only", korean_only=True)
    english = client.get("/en/updates/ko-only")
    html = english.get_data(as_text=True)
    assert english.status_code == 200
    assert "This update is not available in English." in html
    assert 'lang="ko" hreflang="ko" href="/ko/updates/ko-only">소식 ko-only</a>' in html
    listing = client.get("/en/updates").get_data(as_text=True)
    assert "Available only in Korean" in listing and 'href="/ko/updates/ko-only"' in listing


def test_missing_korean_is_said_in_korean(client, app_ctx):
    UpdateFactory(slug="en-only", english_only=True)
    html = client.get("/ko/updates/en-only").get_data(as_text=True)
    assert "이 소식은 한국어로 제공되지 않습니다." in html and "영어로 읽으실 수 있습니다." in html
    assert "영어로만 제공" in client.get("/ko/updates").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/ko/updates/draft", "/ko/updates/nothing-here", "/en/updates/draft"])
def test_drafts_and_unknown_slugs_are_not_found(client, app_ctx, path):
    UpdateFactory(slug="draft", draft=True)
    assert client.get(path).status_code == 404


def test_korean_update_pages_have_no_english_ui(client, app_ctx):
    UpdateFactory(slug="camps")
    for path in ("/ko/updates", "/ko/updates/camps", "/ko/subscribe/sent"):
        text = re.sub(r"<[^>]+>", " ", client.get(path).get_data(as_text=True))
        assert re.findall(r"\b[A-Za-z]{3,}(?:\s+[A-Za-z]{3,}){2,}", text) == [], path


def test_main_menu_links_to_updates_and_subscribe(client):
    html = client.get("/ko/").get_data(as_text=True)
    assert '<a href="/ko/updates">새 소식</a>' in html and '<a href="/ko/subscribe">구독하기</a>' in html


@pytest.mark.parametrize("lang, present, absent", [("ko", "소식 ko-only", "News en-only"), ("en", "News en-only", "소식 ko-only")])
def test_atom_feed_per_language_is_valid(client, app_ctx, lang, present, absent):
    UpdateFactory(slug="both", days_ago=1)
    UpdateFactory(slug="ko-only", korean_only=True)
    UpdateFactory(slug="en-only", english_only=True)
    UpdateFactory(slug="draft", draft=True)
    response = client.get(f"/{lang}/updates.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{A}feed"
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
    for required in ("id", "title", "updated", "author/" + A + "name"):
        assert (feed.findtext(f"{A}{required}") or "").strip(), required
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{A}link")}
    assert links["self"] == f"http://127.0.0.1:5000/{lang}/updates.atom"
    entries = feed.findall(f"{A}entry")
    titles = [entry.findtext(f"{A}title") for entry in entries]
    assert present in titles and absent not in titles and len(entries) == 2
    ids = set()
    for entry in entries:
        for required in ("id", "title", "updated", "published"):
            assert entry.findtext(f"{A}{required}"), required
        datetime.fromisoformat(entry.findtext(f"{A}updated"))  # RFC 3339
        ids.add(entry.findtext(f"{A}id"))
        assert entry.find(f"{A}link[@rel='alternate']").get("href").startswith(f"http://127.0.0.1:5000/{lang}/updates/")
        content = entry.find(f"{A}content")
        assert content.get("type") == "html" and "<strong>" in content.text and "<script" not in content.text
    assert len(ids) == 2
    assert titles[0] != f"{'소식' if lang == 'ko' else 'News'} both"  # newest first


def _queued():
    return {row.recipient: row for row in db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.kind == "update"))}


def test_publishing_queues_one_message_per_matching_confirmed_subscriber(app_ctx):
    SubscriberFactory(email="ko@example.org", topics="reports,news")
    SubscriberFactory(email="en@example.org", locale="en")
    SubscriberFactory(email="both@example.org", locale="both")
    SubscriberFactory(email="pending@example.org", pending=True)
    SubscriberFactory(email="gone@example.org", state="unsubscribed")
    SubscriberFactory(email="other-topic@example.org", topics="support")
    update = UpdateFactory(slug="camps", topics=["reports"])
    queued = _queued()
    assert set(queued) == {"ko@example.org", "en@example.org", "both@example.org"}
    assert queued["ko@example.org"].subject == "[목소리] 소식 camps"
    assert queued["en@example.org"].subject == "[Moksori] News camps"
    both = queued["both@example.org"]
    assert both.subject == "[목소리] 소식 camps / [Moksori] News camps"
    assert both.body_text.index("소식 camps") < both.body_text.index("News camps")
    # Each subscriber's own links, in their own language.
    assert "/ko/subscribe/preferences/" in queued["ko@example.org"].body_text
    assert "/en/subscribe/unsubscribe/" in queued["en@example.org"].headers
    assert queued["ko@example.org"].body_text != queued["both@example.org"].body_text
    # Unpublishing and publishing again sends nothing twice.
    update_service.unpublish(db.session, "admin", update)
    assert update_service.publish(db.session, "admin", update, subscriptions.Links.from_config(current_app.config)) == 0
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 3


def test_missing_language_is_sent_in_the_other_with_a_note(app_ctx):
    SubscriberFactory(email="en@example.org", locale="en")
    UpdateFactory(slug="ko-only", korean_only=True)
    row = _queued()["en@example.org"]
    assert row.body_text.startswith("This update is available only in Korean.")
    assert "소식 ko-only" in row.body_text and '<p lang="en">This update is available only in Korean.</p>' in row.body_html


# Admin pages (no app_ctx here: a shared app context would also share flask-login's user).

def test_update_admin_is_for_admins_only(client, auth):
    assert client.get("/admin/updates").status_code == 302  # to the login page
    auth.login(role="officer")
    assert client.get("/admin/updates").status_code == 403
    assert client.get("/admin/subscribers.csv").status_code == 403


def test_admin_writes_checks_and_publishes_an_update(client, app, auth):
    auth.login(role="admin")
    SubscriberFactory(email="ko@example.org", topics="accountability")
    bad = post_form(client, "/admin/updates/new", {"slug": "Bad Slug!", "title_ko": "제목만", "topics": []})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "영문 소문자" in html and "제목과 본문을 모두" in html and "하나 이상 선택해 주세요" in html
    assert 'value="제목만"' in html  # what was typed is kept
    empty = post_form(client, "/admin/updates/new", {"topics": ["news"]})
    assert "한국어나 영어" in empty.get_data(as_text=True)

    data = {"slug": "", "title_ko": "정치범수용소 보고서", "body_ko": "## 요약\n\n**증언** 40건을 모았습니다.",
            "summary_ko": "새 보고서입니다.", "title_en": "Report on political prison camps",
            "body_en": "We gathered **40** testimonies.", "topics": ["accountability", "reports"]}
    saved = post_form(client, "/admin/updates/new", data)
    assert saved.status_code == 302
    edit_path = saved.headers["Location"]
    page = client.get(edit_path).get_data(as_text=True)
    assert "<strong>증언</strong>" in page  # preview, sanitized
    assert client.get("/ko/updates/report-on-political-prison-camps").status_code == 404  # a draft
    taken = post_form(client, "/admin/updates/new", {**data, "slug": "report-on-political-prison-camps"})
    assert "이미 이 주소를 쓰고 있습니다" in taken.get_data(as_text=True)

    published = post_form(client, f"{edit_path}/publish", {}, page_url=edit_path)
    assert published.status_code == 302
    assert "이메일 1통" in client.get(edit_path).get_data(as_text=True)
    assert client.get("/ko/updates/report-on-political-prison-camps").status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(OutboxEmail.subject)) == "[목소리] 정치범수용소 보고서"
    post_form(client, f"{edit_path}/unpublish", {}, page_url=edit_path)
    assert client.get("/ko/updates/report-on-political-prison-camps").status_code == 404
    listing = client.get("/admin/updates").get_data(as_text=True)
    assert "정치범수용소 보고서" in listing and "KO, EN" in listing
