"""Records and cases (issue 22): persons, places and events that submissions speak of, the
links between them, and cases that gather submissions and records.

Modelled on HURIDOCS Events Standard Formats: an event (what, when, where) involves persons in
roles (victim, perpetrator, witness, official); a submission is a source for records.

Sealed like testimony (app/sealed/records.py): every name, alias, description, passage and
note is AES-GCM under a content key of the record's (or case's) own, and that key is stored
only sealed to the organization's public key. In the clear are codes of the same kind as a
submission's facets (a person's role and agency, a place's province and facility type, an
event's category codes and date), which records link to which submissions and cases, and
dates. A seized server shows that report 17 and report 42 are linked to the same record,
never whose name it holds (SECURITY.md, "Records and cases").
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, bool_false, created_at, intpk, str20, updated_at
from app.models.submission import SealedValues, sealed_text

if TYPE_CHECKING:
    from app.models.submission import Submission
    from app.models.taxonomy import Category
    from app.models.user import User

RECORD_KINDS = ("person", "place", "event")

record_category = sa.Table(
    "record_category",
    Base.metadata,
    sa.Column("record_id", sa.ForeignKey("record.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("category_id", sa.ForeignKey("category.id"), primary_key=True),
)


class Record(SealedValues, Base):
    """A person, a place (or facility) or an event. Its sealed content is one JSON value:
    person: {"name", "aliases": [...], "description"} (aliases hold other spellings: North
    and South Korean, romanized, nicknames); place: {"name", "aliases", "description"}; event:
    {"title", "description", "when_text"}."""

    __tablename__ = "record"
    __table_args__ = (sa.Index("ix_record_kind_id", "kind", "id"),)

    id: Mapped[intpk]
    public_id: Mapped[str] = mapped_column(sa.String(16), unique=True)
    kind: Mapped[str20]
    key_for_org: Mapped[bytes] = mapped_column(sa.LargeBinary())
    content_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary())
    # Person: victim, witness, perpetrator, official, other; and the agency of an official or
    # perpetrator (vocabularies.PERPETRATOR_TYPES codes: state_security = 국가보위성, police =
    # 안전부, border_guard = 국경경비대, …).
    person_role: Mapped[str | None] = mapped_column(sa.String(20))
    agency: Mapped[str | None] = mapped_column(sa.String(20))
    # Place: province code and facility type (vocabularies.PROVINCES, FACILITY_TYPES).
    province: Mapped[str | None] = mapped_column(sa.String(20))
    facility_type: Mapped[str | None] = mapped_column(sa.String(20))
    # Event: where (a place record), and when with its precision (as a report's facets).
    place_id: Mapped[int | None] = mapped_column(sa.ForeignKey("record.id", ondelete="SET NULL"), index=True)
    when_precision: Mapped[str | None] = mapped_column(sa.String(12))
    when_date: Mapped[date | None] = mapped_column(sa.Date())
    when_year: Mapped[int | None]
    when_month: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Not in the record search index yet (app/sealed/search: written while no officer session
    # held the search key, or changed since).
    search_pending: Mapped[bool_false] = mapped_column(index=True)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    categories: Mapped[list[Category]] = relationship(
        secondary=record_category, order_by="Category.code", lazy="selectin")
    place: Mapped[Record | None] = relationship(remote_side="Record.id", foreign_keys=[place_id])
    created_by: Mapped[User | None] = relationship()
    links: Mapped[list[RecordLink]] = relationship(
        back_populates="record", order_by="RecordLink.id", cascade="all, delete-orphan")

    name = sealed_text("name", "")
    title = sealed_text("title", "")
    description = sealed_text("description", "")
    when_text = sealed_text("when_text")

    @property
    def aliases(self) -> list[str]:
        return list(self.opened("aliases") or [])

    @property
    def label(self) -> str:
        """What a list shows: a person's or place's name, an event's title."""
        return (self.opened("title") if self.kind == "event" else self.opened("name")) or ""

    def __repr__(self) -> str:
        return f"<Record {self.public_id} {self.kind}>"


class Involvement(SealedValues, Base):
    """A person's part in an event (ESF "involvement" for perpetrators, "act" for victims)."""

    __tablename__ = "record_involvement"
    __table_args__ = (sa.UniqueConstraint("event_id", "person_id", "role"),)

    id: Mapped[intpk]
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("record.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("record.id", ondelete="CASCADE"), index=True)
    role: Mapped[str20]  # victim, perpetrator, witness, official
    created_at: Mapped[created_at]

    event: Mapped[Record] = relationship(foreign_keys=[event_id])
    person: Mapped[Record] = relationship(foreign_keys=[person_id])


class RecordLink(SealedValues, Base):
    """A submission as a source for a record: in which role the record appears in it, and the
    passage it rests on (sealed to the org key, bound to this link)."""

    __tablename__ = "record_link"
    __table_args__ = (
        sa.UniqueConstraint("record_id", "submission_id", "role"),
        sa.Index("ix_record_link_submission_record", "submission_id", "record_id"),
    )

    id: Mapped[intpk]
    record_id: Mapped[int] = mapped_column(sa.ForeignKey("record.id", ondelete="CASCADE"))
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"))
    role: Mapped[str20]  # for a person as in Involvement; "place", "event" for the others
    passage_sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[created_at]

    record: Mapped[Record] = relationship(back_populates="links")
    submission: Mapped[Submission] = relationship()

    passage = sealed_text("passage")


case_submission = sa.Table(
    "case_submission",
    Base.metadata,
    sa.Column("case_id", sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("submission_id", sa.ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True, index=True),
    sa.Column("added_at", UTCDateTime(), nullable=False),
)

case_record = sa.Table(
    "case_record",
    Base.metadata,
    sa.Column("case_id", sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("record_id", sa.ForeignKey("record.id", ondelete="CASCADE"), primary_key=True, index=True),
    sa.Column("added_at", UTCDateTime(), nullable=False),
)

CASE_STATUSES = ("open", "building", "referred", "closed")


class Case(SealedValues, Base):
    """Submissions and records gathered for one line of accountability work. Title and
    summary are sealed ({"title", "summary"}), as are its notes."""

    __tablename__ = "cases"
    __table_args__ = (sa.Index("ix_cases_status_updated", "status", "updated_at"),)

    id: Mapped[intpk]
    public_id: Mapped[str] = mapped_column(sa.String(16), unique=True)
    key_for_org: Mapped[bytes] = mapped_column(sa.LargeBinary())
    content_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary())
    status: Mapped[str20] = mapped_column(default="open")
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    lead: Mapped[User | None] = relationship(lazy="joined")
    submissions: Mapped[list[Submission]] = relationship(secondary=case_submission, order_by="Submission.id")
    records: Mapped[list[Record]] = relationship(secondary=case_record, order_by="Record.id")
    notes: Mapped[list[CaseNote]] = relationship(
        back_populates="case", order_by="CaseNote.id", cascade="all, delete-orphan")

    title = sealed_text("title", "")
    summary = sealed_text("summary", "")

    def __repr__(self) -> str:
        return f"<Case {self.public_id} {self.status}>"


class CaseNote(SealedValues, Base):
    __tablename__ = "case_note"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    body_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary())
    created_at: Mapped[created_at]

    case: Mapped[Case] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship(lazy="joined")

    body = sealed_text("body", "")
