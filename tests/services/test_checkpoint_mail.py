"""The audit checkpoint mailed to the admins once a day closes the window a seized server has:
events at or before the mailed line cannot be removed or rewritten unnoticed, even with the
server's keys. Real parts: the command the timer runs, the outbox worker, an SMTP server
(aiosmtpd, tests/smtp.py), `flask audit verify --checkpoint` with the line read from the mail."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import GENESIS_HASH, AuditEvent, OutboxEmail
from app.models.base import utcnow
from app.services import audit, checkpoint_mail
from tests.factories import UserFactory
from tests.smtp import deliver, text_part

LINE = re.compile(r"moksori-audit-1:[0-9]+:k1[0-9a-f]{62}:[0-9a-f]{32}")


def mailed_line(smtp_server, runner, recipient: str, count: int) -> str:
    deliver(runner)
    smtp_server.wait_for(count)
    message = [r for r in smtp_server.received if recipient in r.rcpt_tos][-1].message
    return LINE.search(text_part(message)).group(0)


def event(action: str, target: str = "ABCD1234") -> int:
    made = audit.record(db.session, "user:1", action, "submission", target, {})
    db.session.commit()
    return made.id


def remove_and_rechain(event_id: int) -> None:
    """What someone holding the server (its database and DATA_ENCRYPTION_KEY) can do: delete an
    event and recompute every keyed hash after it with the app's own function."""
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == event_id))
    prev = db.session.scalar(sa.select(AuditEvent.hash).where(AuditEvent.id < event_id)
                             .order_by(AuditEvent.id.desc()).limit(1)) or GENESIS_HASH
    for row in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.id > event_id).order_by(AuditEvent.id)):
        row.prev_hash = prev
        row.hash = prev = audit.compute_hash(row)
        db.session.flush()
    db.session.commit()


def test_the_daily_mailed_checkpoint_catches_events_removed_by_whoever_holds_the_server(
        app_ctx, runner, smtp_server):
    admin = "admin@example.org"
    UserFactory(admin=True, email=admin)
    UserFactory(email="officer@example.org")  # officers do not get it
    viewed = event("submission.viewed")
    exported = event("submission.exported")

    made = runner.invoke(args=["audit", "checkpoint", "--mail", "--when-due"])  # the timer's command
    assert made.exit_code == 0, made.output
    line = mailed_line(smtp_server, runner, admin, 1)
    assert line == made.stdout.strip().splitlines()[0]
    assert [r.rcpt_tos for r in smtp_server.received] == [[admin]]
    body = text_part(smtp_server.received[0].message)
    assert "처리 이력" in body and "moksori audit verify --checkpoint" in body  # the admin's language: Korean

    again = runner.invoke(args=["audit", "checkpoint", "--mail", "--when-due"])
    assert again.exit_code == 0 and "not due" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 1  # once a day

    # Later, on a seized server: the view is deleted and the chain recomputed with the key.
    remove_and_rechain(viewed)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # the chain alone looks whole
    checked = runner.invoke(args=["audit", "verify", "--checkpoint", line])
    assert checked.exit_code == 1 and "rewritten" in checked.output
    assert exported  # (kept: the deletion of an earlier event is what the line catches)


def test_the_window_is_the_day_since_the_last_mailed_line(app_ctx, runner, smtp_server):
    admin = "admin@example.org"
    UserFactory(admin=True, email=admin, locale="en")
    event("submission.viewed")
    assert runner.invoke(args=["audit", "checkpoint", "--mail", "--when-due"]).exit_code == 0
    first = mailed_line(smtp_server, runner, admin, 1)
    assert "audit log" in text_part(smtp_server.received[0].message)

    after = event("submission.exported")  # after the mailed line: not covered by it yet
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == after))  # the newest event, deleted
    db.session.commit()
    assert runner.invoke(args=["audit", "verify", "--checkpoint", first]).exit_code == 0  # the open window

    after = event("submission.exported")
    tomorrow = utcnow() + timedelta(days=1, minutes=1)
    assert checkpoint_mail.mail_checkpoint(db.session, "system", when_due=True,
                                           now=utcnow() + timedelta(hours=23)).outcome == "not_due"
    assert checkpoint_mail.mail_checkpoint(db.session, "system", when_due=True, now=tomorrow).outcome == "mailed"
    db.session.commit()
    second = mailed_line(smtp_server, runner, admin, 2)
    assert second != first
    remove_and_rechain(after)  # the window has closed on it
    checked = runner.invoke(args=["audit", "verify", "--checkpoint", first, "--checkpoint", second])
    assert checked.exit_code == 1 and "rewritten" in checked.output


def test_no_admin_means_no_checkpoint_and_a_message(app_ctx, runner):
    UserFactory(email="officer@example.org")
    result = runner.invoke(args=["audit", "checkpoint", "--mail"])
    assert result.exit_code == 1 and "no active admin" in result.output
    assert db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == audit.CHECKPOINT_ACTION)) is None
