"""Delivering the outbox over SMTP (`flask outbox send`).

A run claims a batch of due messages, opens one SMTP connection for it and marks each message
sent right after the server accepted it, committing message by message: a worker killed at any
point has marked only what was really delivered, and its unfinished claim runs out so that a
later run picks the rest up. Temporary failures are retried after 1, 2, 4 … retry intervals up
to OUTBOX_MAX_ATTEMPTS; a 5xx about one message fails it at once; the last error is kept.
"""
from __future__ import annotations

import json
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import OutboxEmail
from app.models.base import engine_of, rows_affected, utcnow
from app.services.mail import MailSettings, build_message


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unreachable: str | None = None  # why the server could not be used; the rest waits

    def add(self, other: SendReport) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.unreachable = other.unreachable or self.unreachable


class _Pacer:
    """Spaces messages to at most `rate` per second across batches (0: no pacing)."""

    def __init__(self, rate: float):
        self.interval = 1 / rate if rate > 0 else 0
        self.next = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self.next > now:
            time.sleep(self.next - now)
        self.next = max(self.next, now) + self.interval


def claim_batch(session: Session, settings: MailSettings, now: datetime) -> list[int]:
    """Take up to a batch of due messages. The claim's end time doubles as its owner's mark,
    so two workers that pick the same rows cannot both keep them."""
    lease = now + settings.lease
    free = sa.or_(OutboxEmail.locked_until.is_(None), OutboxEmail.locked_until < now)
    candidates = session.scalars(
        sa.select(OutboxEmail.id)
        .where(OutboxEmail.state == "pending", OutboxEmail.next_attempt_at <= now, free)
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .limit(settings.batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    if not candidates:
        session.commit()
        return []
    session.execute(sa.update(OutboxEmail).where(OutboxEmail.id.in_(candidates), free).values(locked_until=lease))
    mine = session.scalars(
        sa.select(OutboxEmail.id).where(OutboxEmail.id.in_(candidates), OutboxEmail.locked_until == lease)
        .order_by(OutboxEmail.id)
    ).all()
    session.commit()
    return list(mine)


class _Marks:
    """Writes each message's outcome in its own short transaction, on a connection kept for the batch.

    A mark's commit does not wait for the disk flush (PostgreSQL synchronous_commit off, SQLite
    WAL synchronous NORMAL). It still survives a killed worker, since the database already has
    it; only a crash of the database machine in the moment before the flush could undo it, and
    then a message would go out twice, never be lost. Waiting for the disk once per message
    would make a 10,000-message mailing take minutes. Queueing and claiming keep full durability.
    """

    def __init__(self, session: Session, settings: MailSettings):
        self.engine, self.settings = engine_of(session), settings
        self.dialect = self.engine.dialect.name

    def _raw(self):
        raw = self.conn.connection.dbapi_connection
        if raw is None:  # only once the connection is invalidated
            raise RuntimeError("the outbox's database connection was invalidated")
        return raw

    def __enter__(self) -> _Marks:
        self.conn = self.engine.connect()
        if self.dialect == "sqlite":  # a pragma allowed only outside a transaction: on the DB-API level
            raw = self._raw()
            self.saved = int(raw.execute("PRAGMA synchronous").fetchone()[0])
            raw.execute("PRAGMA synchronous=NORMAL")
        return self

    def __exit__(self, *exc_info) -> None:
        if self.dialect == "sqlite":  # the pooled connection goes back as it came
            self._raw().execute(f"PRAGMA synchronous={self.saved}")
        self.conn.close()

    def set(self, ids: Sequence[int], **values) -> None:
        with self.conn.begin():
            if self.dialect == "postgresql":
                self.conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            self.conn.execute(sa.update(OutboxEmail).where(OutboxEmail.id.in_(ids)).values(locked_until=None, **values))

    def later(self, ids: Sequence[int], error: str | None = None) -> None:
        """Not tried (the connection broke): no attempt counted, due again after one interval."""
        extra = {"last_error": f"server unreachable: {error}"[:1000]} if error else {}
        self.set(ids, next_attempt_at=utcnow() + timedelta(seconds=self.settings.retry_base), **extra)

    def failed_attempt(self, row_id: int, attempts: int, error: str, permanent: bool, kind: str) -> bool:
        """Count the attempt; True if the message will be retried (after 1, 2, 4 … intervals).
        A message given up on keeps no submitter's address either: it will never be sent."""
        attempts += 1
        if permanent or attempts >= self.settings.max_attempts:
            self.set([row_id], attempts=attempts, state="failed", last_error=error[:1000], **forget_after_sending(kind))
            return False
        delay = timedelta(seconds=self.settings.retry_base * 2 ** (attempts - 1))
        self.set([row_id], attempts=attempts, next_attempt_at=utcnow() + delay, last_error=error[:1000])
        return True


def _connect(settings: MailSettings) -> smtplib.SMTP:
    smtp = smtplib.SMTP(settings.server, settings.port, local_hostname=settings.helo_name, timeout=settings.timeout)
    try:
        smtp.ehlo()
        if settings.use_tls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.username:
            smtp.login(settings.username, settings.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _classify(exc: Exception) -> tuple[str, bool]:
    """(outcome, connection still usable). Outcomes: "permanent" (a 5xx about this message)
    or "temporary" (4xx, a dropped connection, a refused sender — our side, so retried)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code = min(code for code, _ in exc.recipients.values())
        return ("permanent" if code >= 500 else "temporary"), True
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return "temporary", False
    if isinstance(exc, smtplib.SMTPResponseException):
        if exc.smtp_code == 421:  # the server is closing the connection
            return "temporary", False
        return ("permanent" if exc.smtp_code >= 500 else "temporary"), True
    return "temporary", False


# A submitter's address must not outlive the notice it was given for: once the server has
# accepted the message, or the worker has given up on it, the row keeps no address and no body
# (the notice has no content anyway). While the mail server stays unreachable no attempt is
# counted, so a notice that has waited NOTICE_MAX_WAIT is given up on as well (`expire_notices`):
# a server seized during a long mail outage holds at most that many days of addresses.
FORGET_AFTER_SENDING = {"submitter.notice"}
NOTICE_MAX_WAIT = timedelta(days=3)


FORGOTTEN = {"recipient": "", "body_text": "", "body_html": ""}


def forget_after_sending(kind: str) -> dict:
    return FORGOTTEN if kind in FORGET_AFTER_SENDING else {}


def _without_address(error: str, recipient: str) -> str:
    """An SMTP error as kept in last_error and shown by `outbox status`: servers repeat the
    recipient's address ("550 5.1.1 <…>: Recipient address rejected"), which for a notice to a
    submitter is what they asked us to forget."""
    return re.sub(re.escape(recipient), "<recipient>", error, flags=re.IGNORECASE) if recipient else error


def send_batch(session: Session, settings: MailSettings, ids: list[int], pacer: _Pacer,
               on_sent: Callable[[int], None] | None = None) -> SendReport:
    report = SendReport()
    rows = session.scalars(sa.select(OutboxEmail).where(OutboxEmail.id.in_(ids)).order_by(OutboxEmail.id)).all()
    work = [(row.id, row.recipient, row.attempts, build_message(row, settings), row.kind) for row in rows]
    # A message with a From of its own (a submitter notice) also goes with that envelope sender,
    # which becomes the Return-Path the recipient sees.
    envelopes = {row.id: parseaddr(json.loads(row.headers or "{}").get("From", ""))[1] for row in rows}
    session.commit()  # the session holds nothing while the marks are written
    unsent = [item[0] for item in work]
    envelope_from = settings.envelope_from
    with _Marks(session, settings) as marks:
        try:
            smtp = _connect(settings)
        except (OSError, smtplib.SMTPException) as exc:
            report.unreachable = f"{type(exc).__name__}: {exc}"
            marks.later(unsent, report.unreachable)
            return report
        try:
            for row_id, recipient, attempts, message, kind in work:
                pacer.wait()
                try:
                    smtp.send_message(message, from_addr=envelopes[row_id] or envelope_from, to_addrs=[recipient])
                except (OSError, smtplib.SMTPException) as exc:
                    unsent.remove(row_id)
                    outcome, usable = _classify(exc)
                    error = _without_address(f"{type(exc).__name__}: {exc}", recipient)
                    if marks.failed_attempt(row_id, attempts, error, permanent=outcome == "permanent", kind=kind):
                        report.retrying += 1
                    else:
                        report.failed += 1
                    if not usable:
                        report.unreachable = error
                        break
                    continue
                # The server has accepted it: mark it now, before anything else can go wrong.
                marks.set([row_id], state="sent", sent_at=utcnow(), attempts=attempts + 1, **forget_after_sending(kind))
                unsent.remove(row_id)
                report.sent += 1
                if on_sent:
                    on_sent(row_id)
        except BaseException:
            if unsent:  # interrupted (Ctrl-C): hand the rest back at once
                marks.set(unsent)
            raise
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
        if unsent:
            marks.later(unsent)
    return report


def expire_notices(session: Session, now: datetime) -> int:
    """Give up on submitter notices queued more than NOTICE_MAX_WAIT ago, and forget their
    addresses. Returns how many."""
    result = session.execute(
        sa.update(OutboxEmail)
        .where(OutboxEmail.kind.in_(FORGET_AFTER_SENDING), OutboxEmail.state == "pending",
               OutboxEmail.created_at < now - NOTICE_MAX_WAIT)
        .values(state="failed", locked_until=None, last_error=f"not sent within {NOTICE_MAX_WAIT.days} days: "
                "the address is forgotten", **FORGOTTEN)
    )
    session.commit()
    return rows_affected(result)


def send_due(session: Session, settings: MailSettings, on_sent: Callable[[int], None] | None = None) -> SendReport:
    """Send everything due now, batch by batch; stop early when the server cannot be used."""
    report = SendReport()
    report.failed += expire_notices(session, utcnow())
    pacer = _Pacer(settings.rate)
    while ids := claim_batch(session, settings, utcnow()):
        batch = send_batch(session, settings, ids, pacer, on_sent)
        report.add(batch)
        if batch.unreachable:
            break
    return report


def retry_failed(session: Session) -> int:
    """Give every failed message a fresh set of attempts (after fixing the cause); not the
    submitter notices, whose addresses were forgotten when they were given up on."""
    result = session.execute(
        sa.update(OutboxEmail).where(OutboxEmail.state == "failed", OutboxEmail.recipient != "")
        .values(state="pending", attempts=0, next_attempt_at=utcnow(), locked_until=None)
    )
    session.commit()
    return rows_affected(result)


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(sa.select(OutboxEmail.state, sa.func.count()).group_by(OutboxEmail.state)).tuples().all()
    return {state: 0 for state in ("pending", "sent", "failed")} | dict(rows)
