"""Delivery through the real worker to a real SMTP server: headers and Korean subjects, the
one-click unsubscribe from a delivered message, a server that goes down (before and during a
batch) and comes back, a reply lost after DATA (sent again, under the same Message-ID), retries
and giving up (and which SMTP errors are which), batching and pacing, a killed worker."""
from __future__ import annotations

import os
import smtplib
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import OutboxEmail, Subscriber
from app.models.base import utcnow
from app.services import mail
from app.services.outreach import outbox
from config import BASE_DIR
from tests.factories import SubscriberFactory, UpdateFactory
from tests.smtp import deliver, html_part, text_part


@pytest.fixture
def settings(app, monkeypatch):
    """Override outbox settings for one test (monkeypatch restores them)."""
    def apply(**values):
        for name, value in values.items():
            monkeypatch.setitem(app.config, name, value)

    return apply


def ngos(count):
    """`count` confirmed subscribers: ngo0@example.org, ngo1@example.org, …"""
    for number in range(count):
        SubscriberFactory(email=f"ngo{number}@example.org")


def rows():
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)))


def test_publish_and_deliver_with_headers_and_korean_subject(client, app_ctx, runner, smtp_server):
    for locale in ("ko", "en", "both"):
        SubscriberFactory(email=f"{locale}@example.org", locale=locale)
    UpdateFactory(slug="camps")
    output = deliver(runner)
    assert "sent 3" in output
    received = {item.rcpt_tos[0]: item for item in smtp_server.received}
    assert set(received) == {"ko@example.org", "en@example.org", "both@example.org"}
    korean = received["ko@example.org"]
    assert korean.mail_from == "moksori@localhost"
    assert b"Subject: =?utf-8?b?" in korean.raw  # RFC 2047 on the wire ...
    message = korean.message
    assert message["Subject"] == "[목소리] 소식 camps"  # ... and decoded back to Korean
    assert message["From"].addresses[0].display_name == "목소리"
    assert message["To"] == "ko@example.org"
    assert message.get_content_type() == "multipart/alternative"
    assert "<strong>구금 시설</strong>" in html_part(message) and "<script" not in html_part(message)
    text = text_part(message)
    assert "http://127.0.0.1:5000/ko/updates/camps" in text and "목소리 드림" in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("http://127.0.0.1:5000/ko/subscribe/unsubscribe/")
    assert received["en@example.org"].message["Subject"] == "[Moksori] News camps"
    bilingual = text_part(received["both@example.org"].message)
    assert bilingual.index("소식 camps") < bilingual.index("News camps")
    assert all(row.state == "sent" and row.sent_at and row.attempts == 1 for row in rows())

    # The one-click POST a mail provider makes from that header: no cookie, no CSRF token.
    response = current_app.test_client().post(unsubscribe.removeprefix("http://127.0.0.1:5000"),
                                              data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    state = db.session.scalar(sa.select(Subscriber.state).where(Subscriber.email == "ko@example.org"))
    assert state == "unsubscribed"


def test_server_down_then_up_delivers_every_message_exactly_once(app_ctx, runner, smtp_server, settings):
    settings(OUTBOX_RETRY_BASE_SECONDS=0)
    ngos(5)
    UpdateFactory(slug="camps")
    smtp_server.stop()
    output = deliver(runner)
    assert "mail server unusable" in output and "sent 0" in output
    assert all(row.state == "pending" and row.attempts == 0 and "server unreachable" in row.last_error
               for row in rows())
    smtp_server.start()
    deliver(runner)
    deliver(runner)
    assert sorted(smtp_server.recipients()) == sorted(f"ngo{number}@example.org" for number in range(5))
    assert all(row.state == "sent" for row in rows())


def test_server_going_down_during_a_batch_loses_nothing(app_ctx, runner, smtp_server, settings):
    settings(OUTBOX_RETRY_BASE_SECONDS=0, MAIL_TIMEOUT_SECONDS=5)
    ngos(6)
    UpdateFactory(slug="camps")
    delivered = []

    def server_dies_after_two(row_id):
        delivered.append(row_id)
        if len(delivered) == 2:
            smtp_server.stop()

    settings = mail.MailSettings.from_config(current_app.config)
    report = outbox.send_due(db.session, settings, on_sent=server_dies_after_two)
    assert (report.sent, report.retrying) == (2, 1) and report.unreachable
    states = Counter((row.state, row.attempts) for row in rows())
    assert states == {("sent", 1): 2, ("pending", 1): 1, ("pending", 0): 3}
    smtp_server.start()
    deliver(runner)
    assert Counter(smtp_server.recipients()) == {f"ngo{number}@example.org": 1 for number in range(6)}


def test_a_reply_lost_after_data_sends_the_message_again_under_the_same_message_id(
        app_ctx, runner, smtp_server, settings):
    """At least once: the server took the message but its reply never came, so the worker must
    send it again; the copy carries the same Message-ID, which lets the receiver drop it."""
    settings(OUTBOX_RETRY_BASE_SECONDS=0)
    ngos(1)
    UpdateFactory(slug="camps")
    smtp_server.lose_next_replies(1)
    deliver(runner)
    (row,) = rows()
    assert (row.state, row.attempts) == ("pending", 1) and len(smtp_server.received) == 1
    message_id = row.message_id
    deliver(runner)
    assert rows()[0].state == "sent"
    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"] == message_id
    assert first["Date"] == second["Date"] and first.get_body(("plain",)).get_content() == \
        second.get_body(("plain",)).get_content()


def test_temporary_failures_back_off_and_give_up_with_the_last_error(app_ctx, runner, smtp_server, settings):
    settings(OUTBOX_MAX_ATTEMPTS=3, OUTBOX_RETRY_BASE_SECONDS=60)
    ngos(1)
    UpdateFactory(slug="camps")
    for attempt, delay in ((1, 60), (2, 120)):
        smtp_server.fail_next("451 4.3.0 Try again later")
        before = utcnow()
        deliver(runner)
        (row,) = rows()
        assert (row.state, row.attempts) == ("pending", attempt) and "451" in row.last_error
        assert before + timedelta(seconds=delay - 1) <= row.next_attempt_at <= utcnow() + timedelta(seconds=delay)
        deliver(runner)  # not due yet: nothing happens
        assert rows()[0].attempts == attempt
        db.session.execute(sa.update(OutboxEmail).values(next_attempt_at=utcnow()))  # time passes
        db.session.commit()
    smtp_server.fail_next("452 4.2.2 Mailbox full")
    deliver(runner)
    (row,) = rows()
    assert (row.state, row.attempts) == ("failed", 3) and "Mailbox full" in row.last_error
    assert smtp_server.received == []
    assert "1 messages queued again" in runner.invoke(args=["outbox", "retry-failed"]).output
    deliver(runner)
    assert smtp_server.recipients() == ["ngo0@example.org"] and rows()[0].state == "sent"


def test_permanent_failure_is_not_retried_and_the_batch_goes_on(app_ctx, runner, smtp_server):
    ngos(3)
    UpdateFactory(slug="camps")
    smtp_server.fail_next("550 5.1.1 No such user")
    deliver(runner)
    states = [(row.state, row.attempts) for row in rows()]
    assert states == [("failed", 1), ("sent", 1), ("sent", 1)]
    assert "No such user" in rows()[0].last_error
    assert len({item.session for item in smtp_server.received}) == 1
    status = runner.invoke(args=["outbox", "status"]).output
    assert "pending 0, sent 2, failed 1" in status and "No such user" in status


def test_the_error_kept_and_shown_does_not_repeat_the_recipients_address(app_ctx, runner, smtp_server):
    ngos(1)
    UpdateFactory(slug="camps")
    smtp_server.fail_next("550 5.1.1 <NGO0@example.org>: Recipient address rejected")
    deliver(runner)
    status = runner.invoke(args=["outbox", "status"]).output
    assert "Recipient address rejected" in status and "<recipient>" in status
    assert "ngo0@example.org" not in status.lower() and "ngo0@" not in rows()[0].last_error.lower()


def test_one_connection_per_batch_and_the_rate_is_kept(app_ctx, runner, smtp_server, settings):
    settings(OUTBOX_BATCH_SIZE=3, OUTBOX_RATE_PER_SECOND=20)
    ngos(7)
    UpdateFactory(slug="camps")
    started = time.monotonic()
    deliver(runner)
    assert time.monotonic() - started >= 6 / 20
    assert len(smtp_server.received) == 7
    assert len({item.session for item in smtp_server.received}) == 3


def test_a_killed_worker_sends_nothing_twice_that_was_marked_and_loses_nothing(
    app, app_ctx, runner, smtp_server, database_url, tmp_path
):
    ngos(10)
    UpdateFactory(slug="camps")
    env = {
        **os.environ, "APP_ENV": "development", "DATABASE_URL": database_url, "INSTANCE_DIR": str(tmp_path),
        "SECRET_KEY": app.config["SECRET_KEY"], "DATA_ENCRYPTION_KEY": app.config["DATA_ENCRYPTION_KEY"],
        "MAIL_SERVER": smtp_server.host, "MAIL_PORT": str(smtp_server.port), "OUTBOX_RATE_PER_SECOND": "5",
    }
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "send", "--once"],
                              cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        smtp_server.wait_for(3, timeout=60)
    finally:
        worker.kill()  # SIGKILL: no clean-up of any kind
        worker.wait()
    marked = {row.message_id for row in rows() if row.state == "sent"}
    assert marked and len(marked) < 10
    assert all(Counter(item.message["Message-ID"] for item in smtp_server.received)[mid] == 1 for mid in marked)
    # The dead worker's claim runs out; then a new run delivers the rest.
    db.session.execute(sa.update(OutboxEmail).values(locked_until=None))
    db.session.commit()
    deliver(runner)
    counts = Counter(item.message["Message-ID"] for item in smtp_server.received)
    assert set(counts) == {row.message_id for row in rows()}
    assert all(counts[mid] == 1 for mid in marked)
    assert sum(counts.values()) - len(counts) <= 1  # at most the one in flight at the kill
    assert all(row.state == "sent" for row in rows())


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
