"""The audit log's checkpoint, mailed to every active admin once a day (SECURITY.md, "The audit
log"): the line leaves the server in their mailboxes, so a rewrite or a deletion of events at or
before it — even by someone who holds the server and its keys — is found by `moksori audit verify
--checkpoint LINE`. Events after the newest mailed line are only as safe as the server: mailing
daily keeps that window to a day.

`moksori audit checkpoint --mail --when-due` (the moksori-checkpoint timer, hourly) makes one when
none was mailed in the last CHECKPOINT_MAIL_INTERVAL; the checkpoint event and the e-mails are in
one transaction, so there is never a mailed line without its event or the other way round. The
e-mail carries the line and how to use it, nothing about any submission.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES, org_name
from app.models import AuditEvent, User
from app.models.base import utcnow
from app.services import audit, mail

KIND = "audit.checkpoint"
INTERVAL = timedelta(days=1)


@dataclass
class Mailed:
    """outcome: "mailed", "not_due" (with when the next is due) or "no_admins"."""

    outcome: str
    checkpoint: audit.Checkpoint | None = None
    recipients: int = 0
    next_due: datetime | None = None


def last_mailed(session: Session) -> datetime | None:
    """When the newest checkpoint that went out by e-mail was made."""
    rows = session.execute(sa.select(AuditEvent.created_at, AuditEvent.details)
                           .where(AuditEvent.action == audit.CHECKPOINT_ACTION)
                           .order_by(AuditEvent.id.desc()).limit(50))
    for created_at, details in rows:
        if json.loads(details or "{}").get("mailed"):
            return created_at
    return None


def _admins(session: Session) -> list[User]:
    return list(session.scalars(sa.select(User).where(User.active.is_(True), User.role == "admin")
                                .order_by(User.id)))


def mail_checkpoint(session: Session, actor: str, *, when_due: bool = False, now: datetime | None = None) -> Mailed:
    """Make a checkpoint and queue it to every active admin (the caller commits)."""
    now = now or utcnow()
    last = last_mailed(session)
    if when_due and last is not None and now - last < INTERVAL:
        return Mailed("not_due", next_due=last + INTERVAL)
    admins = _admins(session)
    if not admins:
        return Mailed("no_admins")
    checkpoint = audit.make_checkpoint(session, actor, {"mailed": len(admins)})
    config = current_app.config
    for admin in admins:
        locale = admin.locale if admin.locale in SUPPORTED_LOCALES else DEFAULT_LOCALE

        def subject() -> str:
            return _("[%(org)s] Audit log checkpoint, event %(seq)s", org=org_name(), seq=checkpoint.seq)
        rendered = mail.render_email("audit_checkpoint", [locale], subject, line=checkpoint.line,
                                     seq=checkpoint.seq, name=admin.name)
        mail.enqueue(session, recipient=admin.email, rendered=rendered, kind=KIND, locale=locale,
                     sender=config["MAIL_FROM"])
    return Mailed("mailed", checkpoint, len(admins))
