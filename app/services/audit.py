"""Append to and verify the audit hash chain (models/audit.py).

The hash of a row is SHA-256 over a canonical JSON of its content plus the previous row's
hash. `prev_hash` is unique, so two concurrent writers cannot both extend the same head: the
loser's transaction fails instead of forking the chain. On PostgreSQL an advisory lock makes
writers wait their turn instead of failing.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import GENESIS_HASH, AuditEvent
from app.models.base import utcnow

ADVISORY_LOCK_ID = 0x4D4B53  # "MKS"


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "created_at": event.created_at.isoformat(timespec="microseconds"),
        "actor": event.actor,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def record(
    session: Session,
    actor: str,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Add one event to the chain in the caller's transaction. Never put content or IPs in details."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK_ID})
    head = session.scalar(sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    event = AuditEvent(
        created_at=utcnow(),
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=json.dumps(details or {}, ensure_ascii=False, sort_keys=True),
        prev_hash=head or GENESIS_HASH,
    )
    event.hash = compute_hash(event)
    session.add(event)
    session.flush()
    return event


@dataclass
class ChainReport:
    checked: int
    first_bad_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None and self.problem is None


def verify(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the whole chain in id order; name the first row whose hash or link is wrong."""
    expected_prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        rows = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return ChainReport(checked)
        for event in rows:
            if event.prev_hash != expected_prev:
                return ChainReport(checked, event.id,
                                   "link to the previous row is broken (a row was removed or reordered)")
            if compute_hash(event) != event.hash:
                return ChainReport(checked, event.id, "content does not match its hash (the row was altered)")
            expected_prev = event.hash
            checked += 1
            last_id = event.id
        session.expunge_all()


def _day_start(value: str, zone: ZoneInfo, days_later: int = 0) -> datetime | None:
    """Midnight of an ISO date typed by an admin, in the office's time zone (as the queue's
    date filter); anything that is not a date means no bound."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=days_later), time(), zone) if day else None


def search_events(
    session: Session, action: str = "", actor: str = "", target: str = "", since: str = "", until: str = "",
    before: int | None = None, limit: int = 50, timezone: str = "Asia/Seoul",
) -> tuple[list[AuditEvent], int | None]:
    """Events newest first, filtered (`since` and `until` are whole days, both included);
    returns the page and the id to continue before."""
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit + 1)
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if target:
        query = query.where(AuditEvent.target_id == target)
    zone = ZoneInfo(timezone)
    if start := _day_start(since, zone):
        query = query.where(AuditEvent.created_at >= start)
    if end := _day_start(until, zone, days_later=1):
        query = query.where(AuditEvent.created_at < end)
    if before:
        query = query.where(AuditEvent.id < before)
    rows = list(session.scalars(query))
    next_before = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_before
