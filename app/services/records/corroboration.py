"""Corroboration: how many independent sources a record (event, place, person) rests on.

A source is a submission linked to the record (RecordLink). Two submissions are one source
when one is marked a duplicate of the other (Submission.duplicate_of_id, set with the status
"duplicate"): the same account sent twice must not look like two witnesses. An event's sources
are those linked to the event and those linked to the persons involved in it (Involvement);
`direct` counts only the ones linked to the event itself.

Sources are broken down by how the submitter knows (Submission.source_connection, HURIDOCS
list 19), in the groups an officer weighs differently: it happened to me, I saw it, I heard
it, documents, other or not said.

Everything is computed for many records at once with a few grouped queries (links, the
events' persons, the submissions' codes, their originals), never one query per record: a case
page with hundreds of submissions stays within its budget (issue 22, item 7). Only codes and
ids are read: nothing here opens sealed content.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.models import Involvement, Record, RecordLink, Submission

# How the submitter knows → the group it is counted in (SOURCE_CONNECTIONS codes).
GROUP_OF = {"victim": "victim", "witness": "witness", "told_by_close": "heard", "heard": "heard",
            "documents": "documents", "other": "other"}
GROUPS = [
    ("victim", _l("It happened to them")),
    ("witness", _l("Saw it")),
    ("heard", _l("Heard it")),
    ("documents", _l("Documents")),
    ("other", _l("Other or not said")),
]
# A chain of duplicates longer than this is not followed further (each step is one query).
MAX_DUPLICATE_DEPTH = 5
CHUNK = 500


@dataclass
class Source:
    """One independent source: a submission, with the duplicates of it counted with it."""

    submission_id: int
    public_id: str
    connection: str | None
    duplicates: list[str] = field(default_factory=list)

    @property
    def group(self) -> str:
        return GROUP_OF.get(self.connection or "", "other")


@dataclass
class Corroboration:
    record_id: int
    sources: list[Source] = field(default_factory=list)
    # Events only: the independent sources linked to the event itself, not via its persons.
    direct: int | None = None

    @property
    def count(self) -> int:
        return len(self.sources)

    @property
    def single(self) -> bool:
        return self.count == 1

    @property
    def by_group(self) -> list[tuple[str, object, int]]:
        """(code, label, count) for each group that has sources, in GROUPS order."""
        counted: dict[str, int] = defaultdict(int)
        for source in self.sources:
            counted[source.group] += 1
        return [(code, label, counted[code]) for code, label in GROUPS if counted[code]]


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def _links(session: Session, record_ids: set[int]) -> dict[int, set[int]]:
    """record id → ids of the submissions linked to it (in any role)."""
    found: dict[int, set[int]] = defaultdict(set)
    for chunk in _chunks(record_ids):
        for record_id, submission_id in session.execute(
                sa.select(RecordLink.record_id, RecordLink.submission_id).where(RecordLink.record_id.in_(chunk))
                .distinct()):
            found[record_id].add(submission_id)
    return found


def _persons(session: Session, event_ids: set[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    for chunk in _chunks(event_ids):
        for event_id, person_id in session.execute(
                sa.select(Involvement.event_id, Involvement.person_id).where(Involvement.event_id.in_(chunk))):
            found[event_id].add(person_id)
    return found


@dataclass
class _Facts:
    public_id: str
    connection: str | None
    duplicate_of: int | None


def _facts(session: Session, submission_ids: set[int]) -> dict[int, _Facts]:
    """The codes of the submissions and of the originals they duplicate (following a chain of
    duplicates a few steps, one query a step)."""
    facts: dict[int, _Facts] = {}
    wanted = set(submission_ids)
    for _ in range(MAX_DUPLICATE_DEPTH + 1):
        wanted -= facts.keys()
        if not wanted:
            break
        for chunk in _chunks(wanted):
            for sid, public_id, connection, original in session.execute(
                    sa.select(Submission.id, Submission.public_id, Submission.source_connection,
                              Submission.duplicate_of_id).where(Submission.id.in_(chunk))):
                facts[sid] = _Facts(public_id, connection, original)
        wanted = {f.duplicate_of for f in facts.values() if f.duplicate_of is not None}
    return facts


def _root(facts: dict[int, _Facts], sid: int) -> int:
    seen = {sid}
    while (original := facts[sid].duplicate_of) is not None and original in facts and original not in seen:
        sid = original
        seen.add(sid)
    return sid


def _sources(facts: dict[int, _Facts], submission_ids: set[int]) -> list[Source]:
    merged: dict[int, Source] = {}
    for sid in sorted(submission_ids):
        if sid not in facts:  # deleted since the links were read
            continue
        root = _root(facts, sid)
        source = merged.get(root)
        if source is None:
            source = merged[root] = Source(root, facts[root].public_id, facts[root].connection)
        if sid != root:
            source.duplicates.append(facts[sid].public_id)
            source.connection = source.connection or facts[sid].connection
    return sorted(merged.values(), key=lambda source: source.submission_id)


def corroborate(session: Session, records: list[Record]) -> dict[int, Corroboration]:
    """Corroboration of each record, by record id: four grouped queries for any number."""
    events = {record.id for record in records if record.kind == "event"}
    persons = _persons(session, events)
    links = _links(session, {record.id for record in records} | {p for ids in persons.values() for p in ids})
    facts = _facts(session, {sid for ids in links.values() for sid in ids})
    found: dict[int, Corroboration] = {}
    for record in records:
        direct = links.get(record.id, set())
        every = set(direct)
        for person in persons.get(record.id, ()):
            every |= links.get(person, set())
        result = Corroboration(record.id, _sources(facts, every))
        if record.kind == "event":
            result.direct = len(_sources(facts, direct))
        found[record.id] = result
    return found


def of_record(session: Session, record: Record) -> Corroboration:
    """One record's corroboration (for a record page: staff/_corroboration.html)."""
    return corroborate(session, [record])[record.id]
