"""Creating, changing and looking at records (persons, places, events) and a person's part in
an event. Every change is checked first and made after, records one audit event, and leaves
the commit to the caller; a refusal is a RecordError with a reason code.

A record's names, aliases and description are sealed (app/sealed/records.py); the audit log
gets the record's public id and kind, never a word of its content. Looking at a person
record is audited like revealing contact details: a person's name is the most dangerous thing
this portal holds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import vocabularies as v
from app.models import Involvement, Record, User
from app.sealed import records as sealed
from app.sealed.keys import Keyring
from app.services import audit
from app.services.records import search
from app.services.refusal import Refused
from app.services.taxonomy import categories_by_code

MAX_NAME = 200
MAX_ALIASES = 30
MAX_DESCRIPTION = 20_000


class RecordError(Refused):
    """reason: "kind", "name_required", "too_long", "choice", "place", "stale", "same_record",
    "not_event", "not_person"; `field` names the form field the refusal is about."""

    def __init__(self, reason: str, field: str | None = None):
        super().__init__(reason)
        self.field = field


@dataclass
class RecordInput:
    """What a record's form says. Names and titles are the same field (`name`): an event's
    title is its name."""

    kind: str
    name: str = ""
    aliases: list[str] = field(default_factory=list)
    description: str = ""
    when_text: str | None = None
    person_role: str | None = None
    agency: str | None = None
    province: str | None = None
    facility_type: str | None = None
    place_public_id: str | None = None
    when_precision: str | None = None
    when_date: date | None = None
    when_year: int | None = None
    when_month: int | None = None
    category_codes: list[str] = field(default_factory=list)


def _codes(vocabulary) -> set[str]:
    return {code for code, _ in vocabulary}


def _checked_code(value: str | None, vocabulary, name: str) -> str | None:
    if value in (None, ""):
        return None
    if value not in _codes(vocabulary):
        raise RecordError("choice", name)
    return value


def _clean_aliases(aliases: list[str]) -> list[str]:
    seen: list[str] = []
    for alias in (a.strip() for a in aliases):
        if alias and alias not in seen:
            seen.append(alias)
    if len(seen) > MAX_ALIASES or any(len(alias) > MAX_NAME for alias in seen):
        raise RecordError("too_long", "aliases")
    return seen


def content_of(data: RecordInput) -> dict:
    """The sealed part of a record, checked."""
    name = data.name.strip()
    if not name:
        raise RecordError("name_required", "name")
    if len(name) > MAX_NAME:
        raise RecordError("too_long", "name")
    if len(data.description) > MAX_DESCRIPTION:
        raise RecordError("too_long", "description")
    key = "title" if data.kind == "event" else "name"
    content: dict[str, object] = {key: name, "aliases": _clean_aliases(data.aliases),
                                  "description": data.description.strip()}
    if data.kind == "event":
        content["when_text"] = (data.when_text or "").strip() or None
    return content


def _apply_codes(session: Session, record: Record, data: RecordInput) -> None:
    """The codes in the clear, each checked against its list; only those of the record's kind."""
    record.person_role = record.agency = record.province = record.facility_type = None
    record.place_id = record.when_precision = record.when_date = record.when_year = record.when_month = None
    if data.kind == "person":
        record.person_role = _checked_code(data.person_role, v.PERSON_ROLES, "person_role")
        record.agency = _checked_code(data.agency, v.PERPETRATOR_TYPES, "agency")
    elif data.kind == "place":
        record.province = _checked_code(data.province, v.PROVINCES, "province")
        record.facility_type = _checked_code(data.facility_type, v.FACILITY_TYPES, "facility_type")
    else:
        record.when_precision = _checked_code(data.when_precision, v.WHEN_PRECISION, "when_precision")
        record.when_date, record.when_year, record.when_month = data.when_date, data.when_year, data.when_month
        if data.when_date is not None:
            record.when_year, record.when_month = data.when_date.year, data.when_date.month
        if data.place_public_id:
            place = find(session, data.place_public_id)
            if place is None or place.kind != "place":
                raise RecordError("place", "place")
            record.place_id = place.id
        categories = categories_by_code(session, data.category_codes)
        if len(categories) != len(set(data.category_codes)):  # an unknown or retired code
            raise RecordError("choice", "categories")
        record.categories = categories


def _actor(user: User | None) -> str:
    return f"user:{user.id}" if user is not None else "cli"


def create(session: Session, user: User | None, data: RecordInput) -> Record:
    if data.kind not in _codes(v.RECORD_KINDS):
        raise RecordError("kind", "kind")
    content = content_of(data)
    record = Record(public_id=sealed.new_public_id(data.kind), kind=data.kind,
                    created_by_id=user.id if user is not None else None)
    _apply_codes(session, record, data)
    sealed.seal_new(session, record, content)
    search.mark_pending(session, record)
    session.add(record)
    session.flush()
    audit.record(session, _actor(user), "record.created", "record", record.public_id, {"kind": record.kind})
    return record


def update(session: Session, user: User, keyring: Keyring, record: Record, data: RecordInput,
           expected_version: int | None) -> Record:
    """Change a record made from a page of version `expected_version` (an older page is refused
    as "stale": someone else changed it since)."""
    if expected_version is not None and expected_version != record.version:
        raise RecordError("stale")
    data.kind = record.kind  # a record never changes kind
    content = content_of(data)
    _apply_codes(session, record, data)
    sealed.rewrite(keyring, record, content)
    search.mark_pending(session, record)
    audit.record(session, _actor(user), "record.changed", "record", record.public_id, {"kind": record.kind})
    return record


def find(session: Session, public_id: str) -> Record | None:
    return session.scalar(sa.select(Record).where(Record.public_id == public_id))


def record_view(session: Session, user: User, record: Record) -> None:
    """Audited before the page opens a person record (its names are the most dangerous thing
    here); places and events are opened without an event of their own."""
    if record.kind == "person":
        audit.record(session, _actor(user), "record.person_viewed", "record", record.public_id)


def add_involvement(session: Session, user: User, event: Record, person: Record, role: str) -> Involvement:
    if event.kind != "event":
        raise RecordError("not_event", "event")
    if person.kind != "person":
        raise RecordError("not_person", "person")
    if role not in _codes(v.INVOLVEMENT_ROLES):
        raise RecordError("choice", "role")
    existing = session.scalar(sa.select(Involvement).where(
        Involvement.event_id == event.id, Involvement.person_id == person.id, Involvement.role == role))
    if existing is not None:
        return existing
    involvement = Involvement(event_id=event.id, person_id=person.id, role=role)
    session.add(involvement)
    session.flush()
    audit.record(session, _actor(user), "record.involvement_added", "record", event.public_id,
                 {"person": person.public_id, "role": role})
    return involvement


def remove_involvement(session: Session, user: User, involvement: Involvement) -> None:
    audit.record(session, _actor(user), "record.involvement_removed", "record", involvement.event.public_id,
                 {"person": involvement.person.public_id, "role": involvement.role})
    session.delete(involvement)
