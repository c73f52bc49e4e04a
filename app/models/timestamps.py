"""Trusted timestamps (services/evidence/timestamps.py, SECURITY.md "Trusted timestamps").

Every piece of evidence that arrives — a submission's account as it was at intake, each file
as kept, each later message — gets a salted commitment: leaf data = salt ‖ SHA-256(piece),
leaf hash = SHA-256(0x00 ‖ leaf data). The salt (32 random bytes) is sealed to the org key;
only the leaf hash, which without the salt says nothing about the piece, is in the clear.
Batches of leaves become an RFC 9162 Merkle tree whose root an RFC 3161 authority signs.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, created_at, intpk

if TYPE_CHECKING:  # for the annotations only
    from app.models.submission import Attachment, Submission

PIECE_KINDS = ("account", "file", "message")
WAITING, STAMPED = "waiting", "stamped"


class TimestampBatch(Base):
    """One tree and the authority's token over its root. At most one batch waits at a time
    (`open_slot` is 1 for it and NULL otherwise, under a unique constraint): runs on several
    servers cannot build two trees of the same pieces."""

    __tablename__ = "timestamp_batch"

    id: Mapped[intpk]
    status: Mapped[str] = mapped_column(sa.String(12), default=WAITING)
    open_slot: Mapped[int | None] = mapped_column(unique=True)
    created_at: Mapped[created_at]
    tree_size: Mapped[int] = mapped_column(default=0)
    root: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    # The leaf hashes in order (32 bytes each), written when the batch is stamped: proofs of the
    # other pieces stay possible after a piece's row is purged with its submission.
    leaves: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    # The authority's whole TimeStampResp (status and token), DER: `openssl ts -verify -in`.
    token: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    tsa_url: Mapped[str | None] = mapped_column(sa.String(500))
    # The audit chain's head when the tree was built: its last leaf is the leaf of
    # "moksori-audit-head/1:<event id>:<hash>" (services/evidence/timestamps.audit_leaf_data),
    # so the token also proves that the audit log had reached that event by then.
    audit_event_id: Mapped[int | None]
    audit_hash: Mapped[str | None] = mapped_column(sa.String(64))
    stamped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the token's genTime
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.String(300))  # which authority, what kind of failure
    # A run working on this batch (building, asking the authorities) holds it until then.
    claimed_by: Mapped[str | None] = mapped_column(sa.String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TimestampPiece(Base):
    """One piece's commitment, and where it sits in a batch's tree once it is in one."""

    __tablename__ = "timestamp_piece"
    __table_args__ = (sa.Index("ix_timestamp_piece_batch_created", "batch_id", "created_at"),)

    id: Mapped[intpk]
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(12))  # PIECE_KINDS
    attachment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attachment.id", ondelete="CASCADE"),
                                                      unique=True)
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message.id", ondelete="CASCADE"), unique=True)
    # The 32-byte salt, sealed to the org key and bound to the piece (sealed/commitments.py).
    salt_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary())
    # An account's canonical JSON as it was at intake, sealed under the content key: the exact
    # bytes committed to, which later recoding of the item does not change.
    account_sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    # SHA-256(0x00 ‖ salt ‖ SHA-256(piece)); moved into the batch's `leaves` when it is stamped.
    leaf_hash: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("timestamp_batch.id"))
    leaf_index: Mapped[int | None]
    created_at: Mapped[created_at]

    batch: Mapped[TimestampBatch | None] = relationship()
    submission: Mapped[Submission] = relationship()
    attachment: Mapped[Attachment | None] = relationship()
