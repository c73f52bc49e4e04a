"""Submission (a report or a contact request), its attachments, categories and messages.

Identifying details (alias, contact handles, safe times; for contact requests the group and
name) are stored only encrypted, in `contact_encrypted`. The account itself stays searchable
for officers and is protected by database access control.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, bool_false, created_at, intpk, str20, updated_at

if TYPE_CHECKING:  # for the annotations only; SQLAlchemy finds the classes by name in its registry
    from app.models.taxonomy import Category
    from app.models.user import User

submission_category = sa.Table(
    "submission_category",
    Base.metadata,
    sa.Column("submission_id", sa.ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("category_id", sa.ForeignKey("category.id"), primary_key=True),
    # The queue's category filter reads the submissions of a category from the index alone.
    sa.Index("ix_submission_category_category_submission", "category_id", "submission_id"),
)


class Submission(Base):
    __tablename__ = "submission"
    __table_args__ = (
        sa.Index("ix_submission_status_created", "status", "created_at"),
        sa.Index("ix_submission_created_id", "created_at", "id"),
        # Keyset pagination of the queue: one index per sort order, and per common filter +
        # the default sort, so a deep page is an index range scan, never an OFFSET.
        sa.Index("ix_submission_updated_id", "updated_at", "id"),
        sa.Index("ix_submission_priority_created", "priority", "created_at", "id"),
        sa.Index("ix_submission_assignee_created", "assignee_id", "created_at", "id"),
        # Counts per status of a search: the narrowest index that says each id's status.
        sa.Index("ix_submission_status_id", "status", "id"),
        # Covers every scalar filter of the queue: counts per status under any filters are
        # an index-only scan, never a read of the table's long narratives.
        sa.Index("ix_submission_queue_facets", "status", "kind", "locale", "province", "priority", "assignee_id",
                 "created_at", "last_submitter_activity_at", "staff_viewed_at", "id"),
    )

    id: Mapped[intpk]
    public_id: Mapped[str] = mapped_column(sa.String(16), unique=True)
    kind: Mapped[str20] = mapped_column(default="report", index=True)
    receipt_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # Hash of the one-time form token: a double click or a re-sent POST cannot create twice.
    form_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str20] = mapped_column(default="new")
    status_reason: Mapped[str | None] = mapped_column(sa.String(1000))
    priority: Mapped[str | None] = mapped_column(sa.String(20))  # indexed by ix_submission_priority_created
    violation_status: Mapped[str | None] = mapped_column(sa.String(20))  # HURIDOCS list 41
    reliability: Mapped[str | None] = mapped_column(sa.String(20))  # HURIDOCS list 42
    # Evidence hold: the item is kept for an accountability process and retention never
    # purges it until an officer releases the hold (services/ops/retention.py).
    evidence_hold: Mapped[bool_false]
    evidence_hold_reason: Mapped[str | None] = mapped_column(sa.String(1000))
    evidence_hold_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))  # ix_submission_assignee_created
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submission.id"))
    # Unread marker: submitter activity after the last time an officer opened the item.
    staff_viewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Optimistic locking: a form built on an older version is refused, not silently applied.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    locale: Mapped[str] = mapped_column(sa.String(5), default="ko")
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
    last_submitter_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Report facets (shared/TAXONOMY.md). Codes, not labels: labels are translated on display.
    when_precision: Mapped[str | None] = mapped_column(sa.String(12))
    when_date: Mapped[date | None] = mapped_column(sa.Date())
    when_year: Mapped[int | None]
    when_month: Mapped[int | None]
    when_text: Mapped[str | None] = mapped_column(sa.String(200))
    ongoing: Mapped[bool_false]
    province: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    place: Mapped[str | None] = mapped_column(sa.String(500))
    facility_type: Mapped[str | None] = mapped_column(sa.String(20))
    victim_count: Mapped[str | None] = mapped_column(sa.String(12))
    victim_relation: Mapped[str | None] = mapped_column(sa.String(20))
    perpetrator_type: Mapped[str | None] = mapped_column(sa.String(20))
    perpetrator_text: Mapped[str | None] = mapped_column(sa.String(1000))
    source_connection: Mapped[str | None] = mapped_column(sa.String(20))
    narrative: Mapped[str] = mapped_column(sa.Text(), default="")

    # Contact-request facets (kind == "contact").
    contact_topic: Mapped[str | None] = mapped_column(sa.String(20))
    contact_language: Mapped[str | None] = mapped_column(sa.String(5))

    contact_encrypted: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    may_contact: Mapped[bool_false]
    consent_un: Mapped[bool_false]
    consent_accountability: Mapped[bool_false]
    consent_publication: Mapped[bool_false]
    keep_image_metadata: Mapped[bool_false]

    categories: Mapped[list[Category]] = relationship(
        secondary=submission_category, order_by="Category.code", lazy="selectin"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="submission", order_by="Attachment.id", cascade="all, delete-orphan"
    )
    messages: Mapped[list[Message]] = relationship(
        back_populates="submission", order_by="Message.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  read when mapped; the base types it non-ClassVar

    assignee: Mapped[User | None] = relationship(lazy="joined")
    duplicate_of: Mapped[Submission | None] = relationship(remote_side="Submission.id")
    notes: Mapped[list[Note]] = relationship(
        back_populates="submission", order_by="Note.id", cascade="all, delete-orphan"
    )

    @property
    def has_unread(self) -> bool:
        activity = self.last_submitter_activity_at
        return activity is not None and (self.staff_viewed_at is None or activity > self.staff_viewed_at)

    def __repr__(self) -> str:
        return f"<Submission {self.public_id} {self.kind} {self.status}>"


class Attachment(Base):
    __tablename__ = "attachment"

    id: Mapped[intpk]
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message.id", ondelete="SET NULL"))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    original_name_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary())
    media_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger())
    # Hash of the file as kept (after any metadata stripping, before encryption): the hash a
    # case-file manifest repeats. received_sha256 is the file exactly as it arrived.
    sha256: Mapped[str] = mapped_column(sa.String(64))
    received_sha256: Mapped[str] = mapped_column(sa.String(64))
    metadata_stripped: Mapped[bool_false]
    added_by: Mapped[str20] = mapped_column(default="submitter")
    created_at: Mapped[created_at]

    submission: Mapped[Submission] = relationship(back_populates="attachments")


class Message(Base):
    """One entry of the thread between the submitter and officers."""

    __tablename__ = "message"

    id: Mapped[intpk]
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    author: Mapped[str20]  # "submitter" or "staff"
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(sa.Text(), default="")
    created_at: Mapped[created_at]

    submission: Mapped[Submission] = relationship(back_populates="messages")
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id", viewonly=True)


class Note(Base):
    """An internal note: officers only, never shown to the submitter."""

    __tablename__ = "note"

    id: Mapped[intpk]
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(sa.Text())
    created_at: Mapped[created_at]

    submission: Mapped[Submission] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship(lazy="joined")
