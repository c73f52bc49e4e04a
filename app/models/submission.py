"""Submission (a report or a contact request), its attachments, categories and messages.

Identifying details (alias, contact handles, safe times; for contact requests the group and
name) are stored only encrypted, in `contact_encrypted`. The account itself stays searchable
for officers and is protected by database access control.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, bool_false, created_at, intpk, str20, updated_at

submission_category = sa.Table(
    "submission_category",
    Base.metadata,
    sa.Column("submission_id", sa.ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("category_id", sa.ForeignKey("category.id"), primary_key=True, index=True),
)


class Submission(Base):
    __tablename__ = "submission"
    __table_args__ = (
        sa.Index("ix_submission_status_created", "status", "created_at"),
        sa.Index("ix_submission_created_id", "created_at", "id"),
    )

    id: Mapped[intpk]
    public_id: Mapped[str] = mapped_column(sa.String(16), unique=True)
    kind: Mapped[str20] = mapped_column(default="report", index=True)
    receipt_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # Hash of the one-time form token: a double click or a re-sent POST cannot create twice.
    form_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str20] = mapped_column(default="new")
    priority: Mapped[str | None] = mapped_column(sa.String(20))
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

    categories: Mapped[list["Category"]] = relationship(  # noqa: F821
        secondary=submission_category, order_by="Category.code", lazy="selectin"
    )
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="submission", order_by="Attachment.id", cascade="all, delete-orphan"
    )
    messages: Mapped[list["Message"]] = relationship(
        back_populates="submission", order_by="Message.id", cascade="all, delete-orphan"
    )

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
    body: Mapped[str] = mapped_column(sa.Text(), default="")
    created_at: Mapped[created_at]

    submission: Mapped[Submission] = relationship(back_populates="messages")
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id", viewonly=True)
