"""Building mail: MIME parts, Korean headers, sender names, bilingual rendering."""
from __future__ import annotations

import email
from dataclasses import replace
from datetime import UTC
from email.header import decode_header, make_header
from email.policy import default

from flask_babel import gettext as _

from app.i18n import org_name
from app.models import OutboxEmail
from app.services import mail


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


def test_bilingual_rendering_puts_korean_first(app):
    with app.test_request_context("/en/"):
        rendered = mail.render_email(
            "subscription_confirm", ["ko", "en"],
            lambda: _("[%(org)s] Please confirm your subscription", org=org_name()),
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
