"""Linking a submission to records: "this report is a source for that person, place or event",
in a role, resting on a passage of the report (issue 22, item 2).

Every change is checked first and made after, records one audit event (public ids and codes,
never a name or a word of the passage) and leaves the commit to the caller; a refusal is a
LinkError with a reason code and the form field it is about.

A link is not a change of the item's content: the item's version stays, so no officer's open
form goes stale because a colleague linked a record. It is work on the item all the same:
the item's "last changed" moment moves, so retention (which counts from it) does not delete a
report an officer has just used as a source, and "recently changed" in the queue shows it.
"""
from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from app import vocabularies as v
from app.models import Record, RecordLink, Submission, User
from app.models.base import utcnow
from app.sealed import records as sealed
from app.sealed.keys import Keyring
from app.services import audit
from app.services.refusal import Refused

MAX_PASSAGE = 2000


class LinkError(Refused):
    """reason: "role" (not a role for this kind of record), "too_long" (the passage),
    "duplicate" (this record is linked to this item in this role already); `field` names the
    form field the refusal is about."""

    def __init__(self, reason: str, field: str | None = None):
        super().__init__(reason)
        self.field = field


def roles_for(kind: str) -> list[tuple[str, object]]:
    """The roles a record of `kind` can have in a submission: a person's part in what happened,
    or simply "the place" / "the event" it speaks of."""
    if kind == "person":
        return list(v.INVOLVEMENT_ROLES)
    return [(kind, v.label_for(v.RECORD_KINDS, kind))]


def default_role(record: Record) -> str:
    """The role a link form starts with: a person's usual part when it is one of the roles."""
    codes = [code for code, _ in roles_for(record.kind)]
    return record.person_role if record.person_role in codes else codes[0]


def check(kind: str, role: str | None, passage: str | None) -> tuple[str, str | None]:
    """The role and passage of a link to a record of `kind`, checked (a place's or an event's
    role may be left out: it has only one); raises LinkError."""
    codes = [code for code, _ in roles_for(kind)]
    role = role or (codes[0] if len(codes) == 1 else "")
    if role not in codes:
        raise LinkError("role", "role")
    passage = (passage or "").strip() or None
    if passage is not None and len(passage) > MAX_PASSAGE:
        raise LinkError("too_long", "passage")
    return role, passage


def _touch(session: Session, submission: Submission) -> None:
    # A plain UPDATE: the version stays (no open form goes stale), updated_at moves (see above).
    session.execute(sa.update(Submission).where(Submission.id == submission.id)
                    .values(updated_at=utcnow()).execution_options(synchronize_session=False))


def _details(record: Record, role: str, **more) -> dict:
    return {"record": record.public_id, "kind": record.kind, "role": role, **more}


def link(session: Session, user: User, keyring: Keyring, submission: Submission, record: Record,
         role: str | None, passage: str | None) -> RecordLink:
    role, passage = check(record.kind, role, passage)
    existing = session.scalar(sa.select(RecordLink.id).where(
        RecordLink.record_id == record.id, RecordLink.submission_id == submission.id, RecordLink.role == role))
    if existing is not None:
        raise LinkError("duplicate", "role")
    created = RecordLink(record_id=record.id, submission_id=submission.id, role=role, created_by_id=user.id)
    try:
        with session.begin_nested():  # the same link made at the same moment by a colleague
            session.add(created)
            session.flush()
    except IntegrityError:
        raise LinkError("duplicate", "role") from None
    sealed.seal_passage(session, created, passage, keyring)
    _touch(session, submission)
    # Whether a passage was given, never what it says: the log is not sealed.
    audit.record(session, f"user:{user.id}", "record.linked", "submission", submission.public_id,
                 _details(record, role, passage_given=passage is not None))
    return created


def unlink(session: Session, user: User, submission: Submission, record_link: RecordLink) -> None:
    if record_link.submission_id != submission.id:
        raise LinkError("not_linked")
    record = record_link.record
    audit.record(session, f"user:{user.id}", "record.unlinked", "submission", submission.public_id,
                 _details(record, record_link.role))
    session.delete(record_link)
    _touch(session, submission)


def links_of(session: Session, keyring: Keyring, submission: Submission) -> list[RecordLink]:
    """The item's links, each with its record and passage opened (for this request only)."""
    found = list(session.scalars(
        sa.select(RecordLink).where(RecordLink.submission_id == submission.id)
        .options(joinedload(RecordLink.record)).order_by(RecordLink.id)))
    for each in found:
        sealed.open_content(keyring, each.record)
        sealed.open_passage(keyring, each)
    return found


# --- the passage and the item's text, compared in the session ---------------------------------

_SPACES = re.compile(r"\s+")
# A sentence ends at . ! ? (and their full-width forms) followed by a space, or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?\u3002\uff01\uff1f])\s+|\n+")


def _comparable(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip().casefold()


def occurs_in(passage: str | None, texts: list[str]) -> bool:
    """Whether the passage is in the item's text word for word (spaces and line breaks, letter
    case and Unicode composition aside). Computed when the page is drawn, never stored."""
    if not passage:
        return True
    return _comparable(passage) in _comparable("\n".join(texts))


def sentence_with(names: list[str], texts: list[str]) -> str:
    """The first sentence of the item's text in which one of `names` occurs (for prefilling a
    suggested link's passage); empty when none does."""
    wanted = [name.casefold() for name in names if len(name) >= 2]
    for text in texts:
        for sentence in _SENTENCE_END.split(text or ""):
            folded = sentence.casefold()
            if any(name in folded for name in wanted):
                return sentence.strip()[:MAX_PASSAGE]
    return ""
