"""What waits for a trusted timestamp, for `flask doctor` and the admin's audit page (the
batches themselves are services/evidence/timestamps.py). A leaf: ops and the admin pages read
it without importing the evidence package."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import TimestampBatch, TimestampPiece
from app.models.timestamps import WAITING


@dataclass
class Status:
    """For `flask doctor` and the admin pages: what waits, and since when."""

    waiting: int
    oldest: datetime | None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    last_stamped_at: datetime | None = None


def status(session: Session) -> Status:
    unstamped = sa.or_(TimestampPiece.batch_id.is_(None), TimestampBatch.status == WAITING)
    count, oldest = session.execute(
        sa.select(sa.func.count(TimestampPiece.id), sa.func.min(TimestampPiece.created_at))
        .select_from(TimestampPiece).outerjoin(TimestampBatch, TimestampPiece.batch_id == TimestampBatch.id)
        .where(unstamped)).one()
    result = Status(count or 0, oldest)
    waiting = session.scalar(sa.select(TimestampBatch).where(TimestampBatch.status == WAITING))
    if waiting is not None:
        result.attempts, result.next_attempt_at, result.last_error = (waiting.attempts, waiting.next_attempt_at,
                                                                      waiting.last_error)
    result.last_stamped_at = session.scalar(sa.select(sa.func.max(TimestampBatch.stamped_at)))
    return result
