"""Submission (a report or a contact request), its attachments, categories and messages.

Everything a person wrote is sealed (sealed/sealing.py, SECURITY.md): the *_sealed columns
hold AES-GCM ciphertext under the submission's own content key, which is itself stored only
sealed to the organization's public key (key_for_org) and wrapped under the receipt code
(key_for_receipt). Contact details are sealed to the separate identity key. What stays in
the clear are codes and dates the queue filters and counts on.

A request that opened a submission (sealed/vault.py) finds the plain text in properties of
the same names as before (narrative, place, body, name, …); reading one of them on a
submission that was not opened raises NotOpened instead of returning nothing.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, bool_false, created_at, intpk, str20, updated_at

if TYPE_CHECKING:  # for the annotations only; SQLAlchemy finds the classes by name in its registry
    from app.models.taxonomy import Category
    from app.models.user import User

class NotOpened(RuntimeError):
    """A sealed value was read from a submission that this request has not opened."""


class SealedValues:
    """Plain text of an object's sealed columns, held on the instance for one request."""

    def set_opened(self, values: dict[str, Any]) -> None:
        self.__dict__["_opened"] = values

    @property
    def is_opened(self) -> bool:
        return "_opened" in self.__dict__

    def opened(self, name: str) -> Any:
        values = self.__dict__.get("_opened")
        if values is None:
            raise NotOpened(f"{self!r} was read before it was opened")
        return values.get(name)


def sealed_text(name: str, empty: str | None = None) -> property:
    return property(lambda self: self.opened(name) or empty, doc=f"The opened {name} (plain text).")


submission_category = sa.Table(
    "submission_category",
    Base.metadata,
    sa.Column("submission_id", sa.ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("category_id", sa.ForeignKey("category.id"), primary_key=True),
    # The queue's category filter reads the submissions of a category from the index alone.
    sa.Index("ix_submission_category_category_submission", "category_id", "submission_id"),
)


class Submission(SealedValues, Base):
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
    # Look-up token derived from the receipt code by Argon2id (sealed/sealing.py); never the code.
    receipt_lookup: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # Received before sealing existed (flask keys seal-existing): the old HMAC of the receipt
    # code, until the submitter next enters it (then see ReceiptRewrap).
    receipt_legacy_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # The content key: sealed to the org public key, and wrapped under the receipt code.
    key_for_org: Mapped[bytes] = mapped_column(sa.LargeBinary())
    key_for_receipt: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    # The account and the text facets ({"narrative": …, "place": …}), one sealed JSON value.
    content_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary())
    # Hash of the one-time form token: a double click or a re-sent POST cannot create twice.
    form_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str20] = mapped_column(default="new")
    status_reason_sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    priority: Mapped[str | None] = mapped_column(sa.String(20))  # indexed by ix_submission_priority_created
    violation_status: Mapped[str | None] = mapped_column(sa.String(20))  # HURIDOCS list 41
    reliability: Mapped[str | None] = mapped_column(sa.String(20))  # HURIDOCS list 42
    # Evidence hold: the item is kept for an accountability process and retention never
    # purges it until an officer releases the hold (services/ops/retention.py).
    evidence_hold: Mapped[bool_false]
    evidence_hold_reason_sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
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
    # Not in the search index yet: written while no officer was logged in, so no session held
    # the search key (app/sealed/search/worker.py).
    search_pending: Mapped[bool_false] = mapped_column(index=True)
    # Sent by a partner group (models/groups.py): its content key is also sealed to the group's
    # public key, which the group's space opens; such a submission has no receipt code.
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partner_group.id"), index=True)
    key_for_group: Mapped[bytes | None] = mapped_column(sa.LargeBinary())

    # Report facets (shared/TAXONOMY.md). Codes, not labels: labels are translated on display.
    when_precision: Mapped[str | None] = mapped_column(sa.String(12))
    when_date: Mapped[date | None] = mapped_column(sa.Date())
    when_year: Mapped[int | None]
    when_month: Mapped[int | None]
    ongoing: Mapped[bool_false]
    province: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    facility_type: Mapped[str | None] = mapped_column(sa.String(20))
    victim_count: Mapped[str | None] = mapped_column(sa.String(12))
    victim_relation: Mapped[str | None] = mapped_column(sa.String(20))
    perpetrator_type: Mapped[str | None] = mapped_column(sa.String(20))
    source_connection: Mapped[str | None] = mapped_column(sa.String(20))

    # Contact-request facets (kind == "contact").
    contact_topic: Mapped[str | None] = mapped_column(sa.String(20))
    contact_language: Mapped[str | None] = mapped_column(sa.String(5))

    # Contact details, sealed to the identity key; the address for content-free notices,
    # sealed under the content key (services/intake/contact_details.py).
    contact_sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    notice_sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
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

    narrative = sealed_text("narrative", "")
    place = sealed_text("place")
    when_text = sealed_text("when_text")
    perpetrator_text = sealed_text("perpetrator_text")
    status_reason = sealed_text("status_reason")
    evidence_hold_reason = sealed_text("evidence_hold_reason")

    @property
    def has_unread(self) -> bool:
        activity = self.last_submitter_activity_at
        return activity is not None and (self.staff_viewed_at is None or activity > self.staff_viewed_at)

    def __repr__(self) -> str:
        return f"<Submission {self.public_id} {self.kind} {self.status}>"


class ReceiptRewrap(Base):
    """A receipt code from before sealing, entered again: its derived secret, sealed to the org
    key, waits here for an officer session to wrap the submission's content key with it. A
    table of its own, empty almost always, so that staff requests look for work in no time."""

    __tablename__ = "receipt_rewrap"

    id: Mapped[intpk]
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), unique=True)
    secret_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary())
    created_at: Mapped[created_at]

    submission: Mapped[Submission] = relationship()


class Attachment(SealedValues, Base):
    __tablename__ = "attachment"

    id: Mapped[intpk]
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message.id", ondelete="SET NULL"))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The file is encrypted under a key of its own, derived from the content key.
    name_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary())
    media_type: Mapped[str] = mapped_column(sa.String(100))
    # The size as stored: the plaintext padded to its class (app/sealed/crypto.py size_class),
    # which is all the encrypted file on disk shows too. The exact size is sealed with the hashes.
    size_class: Mapped[int] = mapped_column(sa.BigInteger())
    # SHA-256 of the file as kept (after any metadata stripping, before encryption: the hash a
    # case-file manifest repeats) and as it arrived, sealed like the name: a hash in the clear
    # would let anyone holding a copy of the server confirm that a known photo was sent.
    hashes_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary())
    metadata_stripped: Mapped[bool_false]
    added_by: Mapped[str20] = mapped_column(default="submitter")
    created_at: Mapped[created_at]

    submission: Mapped[Submission] = relationship(back_populates="attachments")

    name = sealed_text("name", "")
    sha256 = sealed_text("sha256", "")
    received_sha256 = sealed_text("received_sha256", "")

    @property
    def size(self) -> int:
        """The exact size, opened (a file stored before padding has it in size_class)."""
        return self.opened("size") or self.size_class


class Message(SealedValues, Base):
    """One entry of the thread between the submitter and officers."""

    __tablename__ = "message"

    id: Mapped[intpk]
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    author: Mapped[str20]  # "submitter" or "staff"
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    body_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary())
    created_at: Mapped[created_at]

    submission: Mapped[Submission] = relationship(back_populates="messages")
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id", viewonly=True)

    body = sealed_text("body", "")


class Note(SealedValues, Base):
    """An internal note: officers only, never shown to the submitter."""

    __tablename__ = "note"

    id: Mapped[intpk]
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    body_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary())
    created_at: Mapped[created_at]

    submission: Mapped[Submission] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship(lazy="joined")

    body = sealed_text("body", "")
