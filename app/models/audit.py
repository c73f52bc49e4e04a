"""AuditEvent: an append-only chain. Each row's hash covers its own content and the previous
row's hash, so editing or deleting any row breaks every hash after it. The hash is an HMAC
under a key the database does not hold, written with a prefix ("k1…"); rows from before the
chain was keyed keep their plain SHA-256 (64 hex digits) and are verified that way
(services/audit.py appends and verifies). The mark is in the hash, not in a column of its own,
because the upgrade path from before sealing runs this code on the schema of revision 0010."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at, intpk

KEYED_PREFIX = "k1"  # a keyed hash: "k1" and 62 hex digits of HMAC-SHA256 (a plain SHA-256 is only hex)


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

    @property
    def keyed(self) -> bool:
        """HMAC under the audit key; False for a row from before the chain was keyed."""
        return self.hash.startswith(KEYED_PREFIX)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action}>"


GENESIS_HASH = "0" * 64
__all__ = ["GENESIS_HASH", "KEYED_PREFIX", "AuditEvent", "datetime"]
