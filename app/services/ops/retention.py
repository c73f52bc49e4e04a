"""Retention: when an item expires, the evidence hold, and purging what has expired.

An item expires when it is closed, rejected or a duplicate, is not on evidence hold nor in a
case that is not closed (work on a case must not lose its sources: such an item is held like
evidence), and its last change (updated_at) is older than the retention period for its status
(services/settings.py). Purging deletes the rows and overwrites the encrypted files, and
leaves one audit event per item that names it and counts what went, without any content.
"""
from __future__ import annotations

import fcntl
import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, object_session
from sqlalchemy.pool import NullPool

from app.models import (
    Attachment,
    Case,
    Message,
    Note,
    Submission,
    TimestampPiece,
    User,
    case_submission,
    submission_category,
)
from app.models.base import engine_of, utcnow
from app.sealed import vault
from app.sealed.keys import Keyring
from app.services import audit
from app.services.files.attachments import path_for
from app.services.refusal import Refused
from app.services.settings import RETENTION_STATUSES, RetentionPolicy

ACTOR = "system:retention"
RUN_ACTION = "retention.run"
LOCK_FILE = ".maintenance.lock"
ADVISORY_LOCK_ID = 0x4D4B5352  # "MKSR": not the audit chain's lock
# A file without a row is normally an upload whose transaction has not committed yet; only
# files older than this are taken for leftovers of a purge that stopped half-way.
ORPHAN_AGE = timedelta(days=1)
MAX_REASON = 1000
STORED_NAME = re.compile(r"^[0-9a-f]{32}$")


class HoldError(Refused):
    """reason: "reason_required", "too_long"."""


class Busy(RuntimeError):
    """Another purge or backup holds the maintenance lock."""


def _in_open_case(submission_id=Submission.id):
    """SQL: the item is in a case that is not closed."""
    return sa.exists().where(case_submission.c.submission_id == submission_id,
                             case_submission.c.case_id == Case.id, Case.status != "closed")


def in_open_case(session: Session, item: Submission) -> bool:
    return bool(session.scalar(sa.select(_in_open_case(item.id))))


def expires_at(item: Submission, policy: RetentionPolicy) -> datetime | None:
    if item.evidence_hold:
        return None
    session = object_session(item)
    if session is not None and item.id is not None and in_open_case(session, item):
        return None
    days = policy.days_for(item.status)
    return None if days is None else item.updated_at + timedelta(days=days)


def days_left(item: Submission, policy: RetentionPolicy, now: datetime | None = None) -> int | None:
    """Days until the item may be purged, rounded up ("in 1 day" until it is due; 0 when due);
    None when it never expires."""
    moment = expires_at(item, policy)
    if moment is None:
        return None
    return max(0, math.ceil((moment - (now or utcnow())) / timedelta(days=1)))


def _expired_in(status: str, policy: RetentionPolicy, before: datetime):
    """SQL: not held, in `status`, last changed before `before` minus that status's period."""
    days = policy.days_for(status)
    if days is None:  # called only with RETENTION_STATUSES, which all have a period
        raise ValueError(f"no retention period for {status!r}")
    return sa.and_(Submission.evidence_hold.is_(False), Submission.status == status,
                   Submission.updated_at < before - timedelta(days=days), ~_in_open_case())


def _expiring_condition(policy: RetentionPolicy, before: datetime):
    """SQL: held back from nothing, in an end state, last changed before `before` minus its period."""
    return sa.or_(*(_expired_in(status, policy, before) for status in RETENTION_STATUSES))


def expired_ids(session: Session, policy: RetentionPolicy, now: datetime | None = None) -> list[int]:
    query = sa.select(Submission.id).where(_expiring_condition(policy, now or utcnow())).order_by(Submission.id)
    return list(session.scalars(query))


def expiring_within(session: Session, policy: RetentionPolicy, days: int = 7, limit: int = 200) -> list[Submission]:
    """Items that expire in the next `days` days (or are already due), soonest first."""
    horizon = utcnow() + timedelta(days=days)
    rows: list[Submission] = []
    for status in RETENTION_STATUSES:  # within one status, the oldest change expires first
        rows += session.scalars(sa.select(Submission).where(_expired_in(status, policy, horizon))
                                .order_by(Submission.updated_at, Submission.id).limit(limit))
    # Every row was selected as expiring, so none has None for its date.
    return sorted(rows, key=lambda item: cast(datetime, expires_at(item, policy)))[:limit]


def set_hold(session: Session, actor: User, item: Submission, hold: bool, reason: str | None,
             keyring: Keyring) -> None:
    """Put an item on evidence hold (a reason is required) or release it; audited (that a
    reason was given, not its words: the audit log is not sealed)."""
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise HoldError("too_long")
    if hold and not reason:
        raise HoldError("reason_required")
    vault.open_for_staff(keyring, item)
    if hold == item.evidence_hold and (not hold or reason == item.evidence_hold_reason):
        return
    item.evidence_hold = hold
    vault.set_reason(item, "evidence_hold_reason", reason if hold else None, keyring)
    item.evidence_hold_at = utcnow() if hold else None
    audit.record(session, f"user:{actor.id}", "submission.evidence_hold" if hold else "submission.evidence_released",
                 "submission", item.public_id, {"reason_given": bool(reason)})


@contextmanager
def maintenance_lock(session: Session, upload_dir: str) -> Iterator[None]:
    """One purge or backup at a time: a file lock beside the files (one host) and, on
    PostgreSQL, an advisory lock (several hosts sharing the database). Raises Busy."""
    Path(upload_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(upload_dir) / LOCK_FILE, "a+") as handle:  # closing releases the flock
        connection = None
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise Busy() from exc
            engine = engine_of(session)
            if engine.dialect.name == "postgresql":
                # A connection of its own, outside the pool: a restore disposes of the pool while
                # the lock is held, and the lock must live exactly as long as this block.
                connection = sa.create_engine(engine.url, poolclass=NullPool, hide_parameters=True).connect()
                if not connection.scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_ID}):
                    raise Busy()
            yield
        finally:
            if connection is not None:
                connection.close()  # ending the session releases the advisory lock
                connection.engine.dispose()


def destroy_file(path: Path) -> bool:
    """Overwrite with zeros, sync, then unlink. The content was encrypted already; overwriting
    keeps the ciphertext from lingering in free blocks where the file system rewrites in place
    (on copy-on-write file systems and SSDs it is a best effort)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    with open(path, "r+b") as handle:
        block = b"\0" * (1024 * 1024)
        written = 0
        while written < size:
            written += handle.write(block[: min(len(block), size - written)])
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink()
    return True


@dataclass
class PurgeResult:
    purged: list[dict] = field(default_factory=list)  # public id, status and counts, per item
    failed: list[str] = field(default_factory=list)  # public ids whose deletion the database refused
    orphans_removed: int = 0


def _counts(session: Session, item_id: int) -> dict[str, int]:
    def count(model_or_table, column):
        return session.scalar(sa.select(sa.func.count()).select_from(model_or_table).where(column == item_id)) or 0

    return {
        "attachments": count(Attachment, Attachment.submission_id),
        "messages": count(Message, Message.submission_id),
        "notes": count(Note, Note.submission_id),
        "categories": count(submission_category, submission_category.c.submission_id),
    }


def _purge_one(session: Session, item_id: int, policy: RetentionPolicy, upload_dir: str) -> dict | None:
    """Delete one item in its own transaction; files are destroyed only after the commit, so a
    failed commit never leaves rows pointing at destroyed files."""
    query = sa.select(Submission).where(Submission.id == item_id, _expiring_condition(policy, utcnow()))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Submission)  # not the eagerly joined assignee
    item = session.scalar(query)
    if item is None:  # changed (reopened, held) or gone since it was listed
        session.rollback()
        return None
    summary: dict[str, Any] = {"public_id": item.public_id, "status": item.status, **_counts(session, item.id),
                               "retention_days": policy.days_for(item.status)}
    stored = [name for name in session.scalars(
        sa.select(Attachment.stored_name).where(Attachment.submission_id == item.id))]
    # Duplicates pointing at this item keep their own record; only the link goes.
    session.execute(sa.update(Submission).where(Submission.duplicate_of_id == item.id)
                    .values(duplicate_of_id=None).execution_options(synchronize_session=False))
    session.execute(sa.delete(TimestampPiece).where(TimestampPiece.submission_id == item.id))
    session.execute(sa.delete(Attachment).where(Attachment.submission_id == item.id))
    session.execute(sa.delete(Message).where(Message.submission_id == item.id))
    session.execute(sa.delete(Note).where(Note.submission_id == item.id))
    session.execute(sa.delete(submission_category).where(submission_category.c.submission_id == item.id))
    session.execute(sa.delete(Submission).where(Submission.id == item.id).execution_options(synchronize_session=False))
    audit.record(session, ACTOR, "submission.purged", "submission", summary["public_id"], summary)
    session.commit()
    for name in stored:
        destroy_file(path_for(upload_dir, name))
    return summary


def _sweep_orphans(session: Session, upload_dir: str) -> int:
    """Files no row points to, left by a purge interrupted between commit and overwrite."""
    known = set(session.scalars(sa.select(Attachment.stored_name)))
    cutoff = (utcnow() - ORPHAN_AGE).timestamp()
    removed = 0
    for path in Path(upload_dir).glob("*/*"):
        name = path.name.removesuffix(".part")
        # Only what attachments.store() writes (32 hex digits in a folder of its first two):
        # anything else in UPLOAD_DIR belongs to someone else and is left alone.
        if not (STORED_NAME.match(name) and path.parent.name == name[:2]):
            continue
        if path.is_file() and name not in known and path.stat().st_mtime < cutoff:
            removed += destroy_file(path)
    return removed


def purge(session: Session, policy: RetentionPolicy, upload_dir: str, dry_run: bool = False) -> PurgeResult:
    """Purge every expired item (idempotent: a second run finds nothing). Raises Busy."""
    result = PurgeResult()
    with maintenance_lock(session, upload_dir):
        ids = expired_ids(session, policy)
        if dry_run:
            for item in session.scalars(sa.select(Submission).where(Submission.id.in_(ids)).order_by(Submission.id)):
                result.purged.append({"public_id": item.public_id, "status": item.status, **_counts(session, item.id)})
            session.rollback()
            return result
        session.rollback()  # each item gets its own transaction below
        try:
            for item_id in ids:
                try:
                    summary = _purge_one(session, item_id, policy, upload_dir)
                except SQLAlchemyError:
                    # One refused delete (e.g. a new table still pointing at the item) must not
                    # stop the others; the command reports it and exits non-zero.
                    session.rollback()
                    public_id = session.scalar(sa.select(Submission.public_id).where(Submission.id == item_id))
                    result.failed.append(public_id or str(item_id))
                    session.rollback()
                    continue
                if summary:
                    result.purged.append(summary)
            result.orphans_removed = _sweep_orphans(session, upload_dir)
            session.rollback()
        except Exception as error:  # recorded for `doctor` and the admin's health page, then raised
            session.rollback()
            _record_run(session, result, error=type(error).__name__)
            raise
        _record_run(session, result)
    return result


def _record_run(session: Session, result: PurgeResult, error: str | None = None) -> None:
    """Each run leaves an audit event, `retention.run`: when the daily purge last ran and
    whether anything failed is what ops/watch.py reports."""
    details: dict[str, Any] = {"purged": len(result.purged), "failed": result.failed,
                               "orphans_removed": result.orphans_removed}
    if error:
        details["error"] = error
    audit.record(session, ACTOR, RUN_ACTION, details=details)
    session.commit()
