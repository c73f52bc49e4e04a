"""Subscribing through the real forms (CSRF on), with the mail delivered by the real worker to
a real SMTP server: double opt-in in Korean and English, preferences, unsubscribing (one-click
POST included), bad links and bad addresses."""
from __future__ import annotations

import re
import time
from unittest import mock

import pytest
import sqlalchemy as sa
from flask import current_app
from itsdangerous import TimestampSigner

from app.extensions import db
from app.models import OutboxEmail, Subscriber
from app.services.outreach import subscriptions
from tests.factories import SubscriberFactory
from tests.helpers import post_form
from tests.smtp import deliver, links_in, text_part


def subscribe(client, lang="ko", email="ngo@example.org", language="ko", topics=("reports",), **extra):
    data = {"email": email, "organization": "북한인권단체", "language": language, "topics": list(topics),
            "consent": "y", **extra}
    return post_form(client, f"/{lang}/subscribe", data)


def subscriber(email="ngo@example.org") -> Subscriber | None:
    return db.session.scalar(sa.select(Subscriber).where(Subscriber.email == email))


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(
    "lang, language, subject, greeting, button, done",
    [
        ("ko", "ko", "[목소리] 구독 신청을 확인해 주세요", "안녕하세요.", "구독 확인하기", "구독이 확인되었습니다."),
        ("en", "en", "[Moksori] Please confirm your subscription", "Hello,", "Confirm my subscription",
         "Your subscription is confirmed."),
    ],
)
def test_double_opt_in(client, app_ctx, runner, smtp_server, lang, language, subject, greeting, button, done):
    form = client.get(f"/{lang}/subscribe").get_data(as_text=True)
    assert f'<html lang="{lang}">' in form and 'type="email"' in form and 'inputmode="email"' in form
    response = subscribe(client, lang, email="NGO@Example.org", language=language)
    assert response.status_code == 302 and response.headers["Location"] == f"/{lang}/subscribe/sent"
    sent_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ("확인 링크를 눌러" if lang == "ko" else "open the confirmation link") in sent_page
    assert subscriber().state == "pending" and subscriber().organization == "북한인권단체"

    deliver(runner)
    assert smtp_server.recipients() == ["ngo@example.org"]
    message = smtp_server.messages[0]
    assert message["Subject"] == subject
    body = text_part(message)
    assert body.startswith(greeting)
    assert ("목소리 드림" if lang == "ko" else "The Moksori team") in body
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    confirm = links_in(body)["confirm"]
    assert confirm.startswith(f"/{language}/subscribe/confirm/")

    page = client.get(confirm)  # opening the link (or a mail scanner) confirms nothing yet
    assert page.status_code == 200 and button in page.get_data(as_text=True)
    assert subscriber().state == "pending"
    confirmed = post_form(client, confirm, {})
    assert confirmed.status_code == 200 and done in confirmed.get_data(as_text=True)
    db.session.expire_all()
    assert subscriber().state == "confirmed" and subscriber().confirmed_at is not None
    again = client.get(confirm)  # a second visit is harmless
    assert done in again.get_data(as_text=True)


def test_korean_subscription_pages_have_no_english(client):
    text = visible_text(client.get("/ko/subscribe").get_data(as_text=True))
    english = re.findall(r"\b[A-Za-z]{3,}(?:\s+[A-Za-z]{3,}){2,}", text)
    assert english == []
    assert "개인정보 수집·이용 동의" in text


def test_same_answer_whether_or_not_the_address_is_known(client, app_ctx, runner, smtp_server):
    first = subscribe(client, email="known@example.org")
    row = subscriber("known@example.org")
    row.state = "confirmed"
    row.last_mailed_at = None
    db.session.commit()
    again = subscribe(client, email="known@example.org", language="en", topics=["news"])
    fresh = subscribe(client, email="new@example.org")
    assert first.status_code == again.status_code == fresh.status_code == 302
    assert first.headers["Location"] == again.headers["Location"] == fresh.headers["Location"]
    # The known, confirmed subscriber's choices cannot be changed by whoever sends the form.
    db.session.expire_all()
    assert (subscriber("known@example.org").locale, subscriber("known@example.org").topics) == ("ko", "reports")
    deliver(runner)
    by_recipient = {item.rcpt_tos[0]: item.message for item in smtp_server.received}
    assert by_recipient["known@example.org"]["Subject"] == "[목소리] 구독 정보를 알려 드립니다"
    assert set(links_in(text_part(by_recipient["known@example.org"]))) == {"preferences", "unsubscribe"}
    assert "confirm" in links_in(text_part(by_recipient["new@example.org"]))


def test_one_address_gets_one_mail_per_interval(client, app_ctx):
    for _ in range(3):
        assert subscribe(client).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 1


def test_subscribe_form_is_rate_limited(client):
    for number in range(5):
        assert subscribe(client, email=f"n{number}@example.org").status_code == 302
    blocked = subscribe(client, email="n6@example.org")
    assert blocked.status_code == 429 and "잠시 기다리신 뒤 다시 시도해 주세요" in blocked.get_data(as_text=True)


@pytest.mark.parametrize(
    "lang, typed, message",
    [
        ("ko", "ㅜ므ㄷ@ㄷㅌ믇ㅔㅣㄷ.채ㅡ",
         "이메일 주소에 한글이 들어 있습니다. 키보드를 영문으로 바꾼 뒤 다시 입력해 주세요."),
        ("ko", "name@example", "이메일 주소 형식이 올바르지 않습니다."),
        ("ko", "", "이메일 주소를 입력해 주세요."),
        ("en", "홍길동@example.org", "contains Korean letters"),
        ("en", "name@", "does not look complete"),
    ],
)
def test_bad_addresses_get_a_message_next_to_the_field(client, app_ctx, lang, typed, message):
    response = subscribe(client, lang, email=typed, organization="우리 단체 <b>")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error"' in html and message in html
    assert f'value="{typed}"' in html if typed else True  # what was typed is kept
    assert "우리 단체 &lt;b&gt;" in html
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0


def test_consent_and_a_topic_are_required(client, app_ctx):
    html = subscribe(client, consent="", topics=[]).get_data(as_text=True)
    assert "받아 보실 주제를 하나 이상 선택해 주세요." in html
    assert "구독하시려면 개인정보 수집·이용에 동의해 주세요." in html
    html = subscribe(client, language="fr", topics=["reports", "DROP TABLE"]).get_data(as_text=True)
    assert html.count("보기 중에서 하나를 선택해 주세요.") >= 2
    assert subscriber() is None


def _token_for(email: str, purpose: str, age_hours: float = 0) -> str:
    links = subscriptions.Links.from_config(current_app.config)
    with mock.patch.object(TimestampSigner, "get_timestamp", return_value=int(time.time() - age_hours * 3600)):
        return links.token(subscriber(email), purpose)


def test_expired_and_tampered_links_get_a_clear_page(client, app_ctx):
    subscribe(client)
    expired = _token_for("ngo@example.org", "confirm", age_hours=73)
    page = client.get(f"/ko/subscribe/confirm/{expired}")
    assert page.status_code == 400 and "링크의 유효 기간이 지났습니다" in page.get_data(as_text=True)
    good = _token_for("ngo@example.org", "confirm")
    tampered = good[:-10] + ("A" if good[-10] != "A" else "B") + good[-9:]
    for path in (f"/ko/subscribe/confirm/{tampered}", f"/ko/subscribe/preferences/{good}",
                 "/ko/subscribe/unsubscribe/x.y.z"):
        response = client.get(path)
        assert response.status_code == 400 and "올바른 링크가 아닙니다" in response.get_data(as_text=True)
    assert subscriber().state == "pending"


def test_bad_link_page_in_english(client):
    response = client.get("/en/subscribe/confirm/WzEsImsiXQ.abc.def")
    assert response.status_code == 400 and "This link is not valid" in response.get_data(as_text=True)


def test_preferences_change_language_and_topics(client, app_ctx):
    SubscriberFactory(email="ngo@example.org")
    path = f"/ko/subscribe/preferences/{_token_for('ngo@example.org', 'manage')}"
    page = client.get(path).get_data(as_text=True)
    assert 'value="reports" checked' in page
    assert '<input checked id="language-0" name="language" type="radio" value="ko">' in page
    bad = post_form(client, path, {"language": "both", "topics": []})
    assert bad.status_code == 422 and "하나 이상 선택해 주세요" in bad.get_data(as_text=True)
    saved = post_form(client, path, {"language": "both", "topics": ["news", "advocacy"]})
    assert saved.status_code == 200 and "저장되었습니다." in saved.get_data(as_text=True)
    db.session.expire_all()
    assert (subscriber().locale, subscriber().topics) == ("both", "advocacy,news")


def test_unsubscribe_link_in_a_browser_asks_for_one_click(client, app_ctx):
    SubscriberFactory(email="ngo@example.org")
    path = f"/ko/subscribe/unsubscribe/{_token_for('ngo@example.org', 'manage')}"
    page = client.get(path).get_data(as_text=True)
    assert "소식 그만 받기" in page and 'method="post"' in page
    db.session.expire_all()
    assert subscriber().state == "confirmed"
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "구독이 취소되었습니다." in done.get_data(as_text=True)
    db.session.expire_all()
    assert subscriber().state == "unsubscribed" and subscriber().organization == ""
    assert "이미 소식을 그만 받기로 한 주소입니다" in client.get(path).get_data(as_text=True)
    # A confirmation or preferences link of a cancelled subscription no longer works.
    cancelled = client.get(f"/ko/subscribe/preferences/{_token_for('ngo@example.org', 'manage')}")
    assert cancelled.status_code == 400 and "구독이 취소된 주소입니다" in cancelled.get_data(as_text=True)


def test_one_click_post_needs_no_session_or_csrf_token(app, app_ctx):
    SubscriberFactory(email="ngo@example.org")
    token = _token_for("ngo@example.org", "manage")
    mail_provider = app.test_client()  # no cookie, no CSRF token: as Gmail's servers would send it
    for _ in range(2):  # providers may retry; the second POST is as good as the first
        response = mail_provider.post(f"/ko/subscribe/unsubscribe/{token}", data="List-Unsubscribe=One-Click",
                                      content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200
    db.session.expire_all()
    assert subscriber().state == "unsubscribed"
    assert "Set-Cookie" not in response.headers


def test_other_token_pages_still_require_csrf(app, app_ctx):
    subscribe(app.test_client())
    response = app.test_client().post(f"/ko/subscribe/confirm/{_token_for('ngo@example.org', 'confirm')}")
    assert response.status_code == 400
    assert subscriber().state == "pending"


def test_subscribing_again_after_unsubscribing_starts_over(client, app_ctx):
    row = SubscriberFactory(email="ngo@example.org")
    old = _token_for("ngo@example.org", "manage")
    subscriptions.unsubscribe(db.session, row)
    subscribe(client, language="en", topics=["news"])
    db.session.expire_all()
    assert (subscriber().state, subscriber().locale, subscriber().topics) == ("pending", "en", "news")
    assert client.get(f"/ko/subscribe/unsubscribe/{old}").status_code == 400  # old links stop working
