"""Public updates: list by topic and page, one update (and its missing-language page), Atom
feeds parsed as XML."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from app.extensions import db
from app.models import Update
from tests.factories import UpdateFactory

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


@pytest.mark.parametrize("lang, present, absent", [
    ("ko", "소식 ko-only", "News en-only"), ("en", "News en-only", "소식 ko-only"),
])
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


def test_atom_feed_stays_xml_with_characters_xml_cannot_carry(client, app_ctx):
    """U+FFFE and U+FFFF survive the forms' normalization (they are not control characters) but
    XML 1.0 cannot carry them: one pasted into an update made the feed unreadable for every
    reader. The feed leaves them out; the page and the stored update keep them."""
    update = UpdateFactory(slug="odd")
    update.title_ko, update.summary_ko, update.body_ko = "구금\uffff 시설\ufffe", "요약\uffff", "본문\ufffe **굵게**"
    db.session.commit()
    feed = ET.fromstring(client.get("/ko/updates.atom").data)
    entry = feed.find(f"{A}entry")
    assert entry.findtext(f"{A}title") == "구금 시설" and entry.findtext(f"{A}summary") == "요약"
    assert "<strong>굵게</strong>" in entry.findtext(f"{A}content")
    assert db.session.get(Update, update.id).title_ko == "구금\uffff 시설\ufffe"
    assert "구금\uffff 시설\ufffe" in client.get("/ko/updates/odd").get_data(as_text=True)
