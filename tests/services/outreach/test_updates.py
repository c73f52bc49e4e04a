"""What publishing an update queues for subscribers, in their languages; Markdown made safe."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import OutboxEmail
from app.services.outreach import subscriptions
from app.services.outreach import updates as update_service
from app.services.outreach.updates import render_body
from tests.factories import SubscriberFactory, UpdateFactory


def _queued():
    queued = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.kind == "update"))
    return {row.recipient: row for row in queued}


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
    assert "소식 ko-only" in row.body_text
    assert '<p lang="en">This update is available only in Korean.</p>' in row.body_html


def test_markdown_is_rendered_then_sanitized():
    html = str(render_body("# 제목\n\n**굵게** <script>alert(1)</script> [링크](javascript:alert(1)) "
                           "<img src=x onerror=alert(1)> https://example.org"))
    assert "<h2>제목</h2>" in html and "<strong>굵게</strong>" in html
    assert "<script" not in html and "<img" not in html and "javascript:" not in html
    assert 'href="https://example.org" rel="nofollow"' in html
