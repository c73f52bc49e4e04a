"""AuditEvent: an append-only hash chain. Each row's hash covers its own content and the
previous row's hash, so editing or deleting any row breaks every hash after it
(services/audit.py appends and verifies)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at, intpk


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    actor: Mapped[str] = mapped_column(sa.String(80))
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(40))
    target_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    details: Mapped[str] = mapped_column(sa.Text(), default="{}")
    # Unique: two writers that read the same chain head cannot both append after it.
    prev_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action}>"


GENESIS_HASH = "0" * 64
__all__ = ["GENESIS_HASH", "AuditEvent", "datetime"]
