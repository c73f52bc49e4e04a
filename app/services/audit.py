"""Append to and verify the audit chain (models/audit.py), and checkpoints of it that leave
the server.

Each row's hash is HMAC-SHA256, under the audit key, of a canonical JSON of its content and the
previous row's hash. The key comes from DATA_ENCRYPTION_KEY (app.sealed.installation.audit_key), which the
database and its backups do not hold: someone who can only write to the database can delete
the newest rows but cannot change, insert or re-chain any row unnoticed.

Rows written before the chain was keyed keep their plain SHA-256 and are verified that way.
The keyed chain starts at a recorded boundary: an `audit.chain_keyed` event, written by
migration 0013 or by the first event recorded after the upgrade, whichever comes first; its MAC
covers the last unkeyed hash, so the rows before it cannot be changed either. Unkeyed rows are
accepted only before the first keyed one, and only if a keyed one follows: a chain rewritten
without the key (every row turned into an unkeyed one) does not verify.

What a key on the server cannot prevent — the newest rows deleted, or, by someone who has the
key (a seized server), the chain rewritten and recomputed — a checkpoint catches: `flask audit
checkpoint` records an `audit.checkpoint` event and prints its sequence number (the event's id)
and hash with a MAC, to be kept away from the server; `flask audit verify --checkpoint LINE`
then fails if that event is missing (shortened) or differs (rewritten at or before it).

`prev_hash` is unique, so two concurrent writers cannot both extend the same head: the loser's
transaction fails instead of forking the chain. On PostgreSQL an advisory lock makes writers
wait their turn instead of failing.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import GENESIS_HASH, KEYED_PREFIX, AuditEvent
from app.models.base import utcnow
from app.sealed.installation import audit_key, checkpoint_key
from app.services.refusal import Refused

ADVISORY_LOCK_ID = 0x4D4B53  # "MKS"
CHECKPOINT_PREFIX = "moksori-audit-1"
CHECKPOINT_ACTION = "audit.checkpoint"
BOUNDARY_ACTION = "audit.chain_keyed"  # after the unkeyed rows (migration 0013, or record())
_CHECKPOINT = re.compile(rf"^{CHECKPOINT_PREFIX}:([0-9]+):({KEYED_PREFIX}[0-9a-f]{{62}}):([0-9a-f]{{32}})$")


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
    """The row's keyed hash: HMAC-SHA256 under the audit key, marked (64 characters in all)."""
    return KEYED_PREFIX + hmac.new(audit_key(), _canonical(event), hashlib.sha256).hexdigest()[:62]


def _unkeyed_hash(event: AuditEvent) -> str:
    """How rows from before the keyed chain were hashed: anyone could recompute it."""
    return hashlib.sha256(_canonical(event)).hexdigest()


def event_intact(event: AuditEvent) -> bool:
    """Whether a row still matches its own hash (keyed or, from before, unkeyed)."""
    expected = compute_hash(event) if event.keyed else _unkeyed_hash(event)
    return hmac.compare_digest(expected, event.hash)


def _append(session: Session, head: str | None, actor: str, action: str, target_type: str | None,
            target_id: str | None, details: dict | None) -> AuditEvent:
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
    head = session.execute(sa.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    previous = head.hash if head else None
    if head and not head.hash.startswith(KEYED_PREFIX):  # the first event since the upgrade
        count = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
        previous = _append(session, previous, "system", BOUNDARY_ACTION, "audit", None,
                           {"last_unkeyed_id": head.id, "unkeyed_events": count}).hash
    return _append(session, previous, actor, action, target_type, target_id, details)


# --- checkpoints ---------------------------------------------------------------------------

class CheckpointError(Refused):
    """reason: "not_ours" (malformed, mistyped, or not made with this installation's key)."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int  # the id of the event it covers (and of every event before it)
    hash: str
    created_at: datetime | None = None

    @property
    def line(self) -> str:
        return f"{CHECKPOINT_PREFIX}:{self.seq}:{self.hash}:{_checkpoint_mac(self.seq, self.hash)}"


def _checkpoint_mac(seq: int, digest: str) -> str:
    return hmac.new(checkpoint_key(), f"{CHECKPOINT_PREFIX}:{seq}:{digest}".encode(), hashlib.sha256).hexdigest()[:32]


def make_checkpoint(session: Session, actor: str, details: dict | None = None) -> Checkpoint:
    """Record an `audit.checkpoint` event and return the checkpoint that covers it (the caller
    commits, then shows the line to be kept away from the server). `details` says where it went
    (checkpoint_mail: {"mailed": n})."""
    event = record(session, actor, CHECKPOINT_ACTION, "audit", None, details or {})
    return Checkpoint(event.id, event.hash, event.created_at)


def last_checkpoint(session: Session) -> Checkpoint | None:
    event = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == CHECKPOINT_ACTION,
                                                       AuditEvent.hash.startswith(KEYED_PREFIX))
                           .order_by(AuditEvent.id.desc()).limit(1))
    return Checkpoint(event.id, event.hash, event.created_at) if event else None


def parse_checkpoint(line: str) -> Checkpoint:
    """A checkpoint line as `flask audit checkpoint` printed it; raises CheckpointError if it is
    malformed or its MAC is not this installation's (a typo, or a forgery)."""
    match = _CHECKPOINT.match((line or "").strip())
    if match is None:
        raise CheckpointError("not_ours")
    seq, digest, mac = int(match.group(1)), match.group(2), match.group(3)
    if not hmac.compare_digest(_checkpoint_mac(seq, digest), mac):
        raise CheckpointError("not_ours")
    return Checkpoint(seq, digest)


# --- verification --------------------------------------------------------------------------

@dataclass
class ChainReport:
    checked: int
    first_bad_id: int | None = None
    problem: str | None = None
    unkeyed: int = 0  # rows from before the chain was keyed, verified the old way
    keyed_from: int | None = None  # the first keyed row
    checkpoints: list[int] = field(default_factory=list)  # sequence numbers confirmed

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None and self.problem is None


def verify(session: Session, checkpoints: Iterable[Checkpoint] = (), batch: int = 5000) -> ChainReport:
    """Walk the whole chain in id order; name the first row whose hash or link is wrong, and
    check that every checkpoint's event is still there, unchanged."""
    expected = {checkpoint.seq: checkpoint.hash for checkpoint in checkpoints}
    report = ChainReport(0)
    expected_prev = GENESIS_HASH
    last_id = 0
    while True:
        rows = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            break
        for event in rows:
            if (problem := _row_problem(event, expected_prev, report)) is not None:
                report.first_bad_id, report.problem = event.id, problem
                return report
            if event.id in expected:
                if not hmac.compare_digest(expected.pop(event.id), event.hash):
                    report.first_bad_id = event.id
                    report.problem = "differs from the checkpoint: the log was rewritten at or before this event"
                    return report
                report.checkpoints.append(event.id)
            expected_prev = event.hash
            report.checked += 1
            last_id = event.id
        session.expunge_all()
    if report.unkeyed and report.keyed_from is None:
        report.problem = ("no keyed event after the unkeyed ones: the events since the audit key was introduced "
                          "were removed, or the chain was rewritten without the key")
    elif expected:
        report.first_bad_id = min(expected)
        report.problem = "is missing although a checkpoint covers it: events were removed (the log was shortened)"
    return report


def _row_problem(event: AuditEvent, expected_prev: str, report: ChainReport) -> str | None:
    if event.prev_hash != expected_prev:
        return "link to the previous row is broken (a row was removed or reordered)"
    if not event.keyed:
        if report.keyed_from is not None:
            return "an unkeyed row inside the keyed chain (the row was rewritten)"
        report.unkeyed += 1
    elif report.keyed_from is None:
        report.keyed_from = event.id
    if not event_intact(event):
        return "content does not match its hash (the row was altered)"
    return None


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
