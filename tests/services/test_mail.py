"""The pieces of the mail path: MIME building, Korean headers, rendering, tokens, addresses."""
from __future__ import annotations

import email
import smtplib
import time
from dataclasses import replace
from datetime import UTC
from email.header import decode_header, make_header
from email.policy import default
from unittest import mock

import pytest
from flask_babel import gettext as _
from itsdangerous import TimestampSigner

from app.extensions import db
from app.i18n import org_name
from app.models import OutboxEmail
from app.services import mail
from app.services.outreach import outbox, subscriptions
from app.services.outreach.updates import render_body
from tests.factories import SubscriberFactory


def _row(**overrides) -> OutboxEmail:
    values = dict(
        kind="update", recipient="ngo@example.org", locale="ko", subject="[목소리] 구독 신청을 확인해 주세요",
        body_text="안녕하세요.\n링크: http://127.0.0.1:5000/ko/", body_html="<p>안녕하세요.</p>",
        headers='{"List-Unsubscribe": "<http://127.0.0.1:5000/ko/subscribe/unsubscribe/t>", '
                '"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}',
        message_id="<1.2.3@example.org>", attempts=0,
    )
    values.update(overrides)
    row = OutboxEmail(**values)
    from datetime import datetime

    row.created_at = datetime(2026, 11, 22, 5, 5, tzinfo=UTC)
    return row


def test_message_is_utf8_with_text_and_html_and_rfc2047_korean_subject(app_ctx):
    settings = mail.MailSettings.from_config(app_ctx.config)
    message = mail.build_message(_row(), settings)
    raw = message.as_bytes()
    assert raw.isascii()  # 7-bit clean: any relay carries it
    assert b"Subject: =?utf-8?b?" in raw
    parsed = email.message_from_bytes(raw, policy=default)
    encoded_subject = email.message_from_bytes(raw)["Subject"]  # compat32: the header as sent
    assert str(make_header(decode_header(encoded_subject))) == "[목소리] 구독 신청을 확인해 주세요"
    assert parsed["Subject"] == "[목소리] 구독 신청을 확인해 주세요"
    assert parsed["From"].addresses[0].display_name == "목소리"
    assert parsed["To"] == "ngo@example.org"
    assert parsed["Message-ID"] == "<1.2.3@example.org>"
    assert parsed["Date"] == "Sun, 22 Nov 2026 05:05:00 +0000"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed.get_content_type() == "multipart/alternative"
    plain, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert plain.get_content_charset() == html.get_content_charset() == "utf-8"
    assert plain.get_content().startswith("안녕하세요.")
    assert "<p>안녕하세요.</p>" in html.get_content()


def test_english_message_uses_english_sender_name_and_readable_ascii(app_ctx):
    settings = mail.MailSettings.from_config(app_ctx.config)
    message = mail.build_message(_row(locale="en", subject="[Moksori] Hello", body_text="Hello", body_html="<p>Hi</p>"),
                                 settings)
    assert message["From"].addresses[0].display_name == "Moksori"
    assert message["Content-Language"] == "en"
    assert "base64" not in message.as_string()


def test_configured_sender_name_wins(app_ctx):
    settings = replace(mail.MailSettings.from_config(app_ctx.config), sender="북한인권 <news@example.org>")
    message = mail.build_message(_row(locale="en"), settings)
    assert str(message["From"].addresses[0]) == "북한인권 <news@example.org>"
    assert settings.envelope_from == "news@example.org"


@pytest.mark.parametrize(
    "error, outcome, usable",
    [
        (smtplib.SMTPRecipientsRefused({"a@b.c": (550, b"no such user")}), "permanent", True),
        (smtplib.SMTPRecipientsRefused({"a@b.c": (450, b"mailbox busy")}), "temporary", True),
        (smtplib.SMTPDataError(451, b"try later"), "temporary", True),
        (smtplib.SMTPDataError(554, b"rejected"), "permanent", True),
        (smtplib.SMTPDataError(421, b"closing"), "temporary", False),
        (smtplib.SMTPSenderRefused(553, b"not allowed", "x@y.z"), "temporary", False),
        (smtplib.SMTPServerDisconnected("gone"), "temporary", False),
        (ConnectionResetError(), "temporary", False),
    ],
)
def test_failures_are_classified(error, outcome, usable):
    assert outbox._classify(error) == (outcome, usable)


def test_bilingual_rendering_puts_korean_first(app):
    with app.test_request_context("/en/"):
        rendered = mail.render_email(
            "subscription_confirm", ["ko", "en"], lambda: _("[%(org)s] Please confirm your subscription", org=org_name()),
            confirm_url="http://x/confirm", hours=72, preferences_url="p", unsubscribe_url="u",
        )
    assert rendered.subject == "[목소리] 구독 신청을 확인해 주세요 / [Moksori] Please confirm your subscription"
    assert rendered.text.index("안녕하세요.") < rendered.text.index("Hello,")
    assert rendered.text.count("http://x/confirm") == 2
    assert '<div lang="ko">' in rendered.html and '<div lang="en">' in rendered.html
    assert "목소리 드림" in rendered.text and "The Moksori team" in rendered.text


def test_fill_escapes_for_html_only():
    rendered = mail.Rendered("s", "go: MARK", '<a href="MARK">x</a>').fill("MARK", "http://x/?a=1&b=2")
    assert rendered.text == "go: http://x/?a=1&b=2"
    assert rendered.html == '<a href="http://x/?a=1&amp;b=2">x</a>'


def test_markdown_is_rendered_then_sanitized():
    html = str(render_body("# 제목\n\n**굵게** <script>alert(1)</script> [링크](javascript:alert(1)) "
                           "<img src=x onerror=alert(1)> https://example.org"))
    assert "<h2>제목</h2>" in html and "<strong>굵게</strong>" in html
    assert "<script" not in html and "<img" not in html and "javascript:" not in html
    assert 'href="https://example.org" rel="nofollow"' in html


@pytest.mark.parametrize(
    "typed, problem",
    [
        ("", "이메일 주소를 입력해 주세요"),
        ("ㅜ므ㄷ@ㄷㅌ믇ㅔㅣㄷ.채ㅡ", "한글이 들어 있습니다"),
        ("홍길동@example.org", "한/영 키"),
        ("name@example", "형식이 올바르지 않습니다"),
        ("name@@example.org", "형식이 올바르지 않습니다"),
        ("na me@example.org", "형식이 올바르지 않습니다"),
        (".name@example.org", "형식이 올바르지 않습니다"),
        ("name@example.org\r\nBcc: x@y.z", "형식이 올바르지 않습니다"),
        ("ｎａｍｅ＠ｅｘａｍｐｌｅ．ｏｒｇ", None),  # full-width IME mode: understood
        ("Name.Tag+news@Example.ORG", None),
    ],
)
def test_email_problems_in_korean(app, typed, problem):
    with app.test_request_context("/ko/"):
        app.preprocess_request()
        message = subscriptions.email_problem(typed)
    assert (message is None) if problem is None else (problem in message)


def test_normalized_address_is_lower_case_ascii():
    assert subscriptions.normalize_email(" ｎａｍｅ＠Ｅｘａｍｐｌｅ．ｏｒｇ ") == "name@example.org"


@pytest.fixture
def subscriber(app_ctx):
    return SubscriberFactory(email="ngo@example.org", pending=True)


def test_tokens_round_trip_and_are_bound_to_purpose_and_row(app_ctx, subscriber):
    links = subscriptions.Links.from_config(app_ctx.config)
    token = links.token(subscriber, "confirm")
    assert links.read(db.session, token, "confirm").id == subscriber.id
    tampered = token[:-10] + ("A" if token[-10] != "A" else "B") + token[-9:]
    for bad, purpose in ((token, "manage"), (tampered, "confirm"), ("nonsense", "confirm"), ("", "confirm")):
        with pytest.raises(subscriptions.LinkProblem) as problem:
            links.read(db.session, bad, purpose)
        assert problem.value.reason == "invalid"
    subscriber.token_key = "n" * 32  # e.g. a removed row whose id came back
    db.session.commit()
    with pytest.raises(subscriptions.LinkProblem):
        links.read(db.session, token, "confirm")


def test_old_tokens_expire(app_ctx, subscriber):
    links = subscriptions.Links.from_config(app_ctx.config)
    with mock.patch.object(TimestampSigner, "get_timestamp", return_value=int(time.time()) - 73 * 3600):
        token = links.token(subscriber, "confirm")
        manage = links.token(subscriber, "manage")
    with pytest.raises(subscriptions.LinkProblem) as problem:
        links.read(db.session, token, "confirm")
    assert problem.value.reason == "expired"
    assert links.read(db.session, manage, "manage").id == subscriber.id  # manage links last longer


def test_list_headers_follow_rfc_8058(app_ctx):
    headers = subscriptions.Links.from_config(app_ctx.config).list_headers("https://x.example/ko/subscribe/unsubscribe/t")
    assert headers["List-Unsubscribe"] == "<https://x.example/ko/subscribe/unsubscribe/t>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Id"] == "<updates.127.0.0.1>"
