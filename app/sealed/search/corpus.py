"""What the index holds: two corpora, submissions and records, in segments of their own.

A corpus says which rows are documents (their table, its `search_pending` column, its public
ids), which member table says where each one's current postings are, and how a batch of them
is opened into documents in an unlocked session. Everything else — blocks, segments, merges,
stale postings, rotation, the lease — is one piece of code for both (worker.py, reader.py):
a segment holds the documents of one corpus (search_segment.corpus), numbered by their ids in
their own table, and a search reads only its corpus' segments.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.models import Record, Submission
from app.models.base import engine_of
from app.models.search import SearchMember, SearchRecordMember
from app.sealed import records as sealed_records
from app.sealed import vault
from app.sealed.keys import Keyring
from app.sealed.search.text import INDEXED_FIELDS, Document, record_document, submission_document

RECORD_FIELDS = ("name", "title", "aliases", "description", "when_text")  # a record's sealed content


@dataclass(frozen=True)
class Corpus:
    name: str  # search_segment.corpus
    model: Any  # the documents' table (Submission, Record): id, public_id, search_pending, updated_at
    member: Any  # SearchMember, SearchRecordMember: (doc id, segment_id)
    member_doc: Any  # the member table's document id column
    open_batch: Callable[[Session, Keyring, list], list[tuple[int, Document]]]
    load_options: tuple = ()

    def waiting(self, limit: int, session: Session) -> sa.Select:
        """The next `limit` waiting rows. On PostgreSQL they are locked until the caller commits,
        so that a change made meanwhile marks its row waiting again after this batch, not before
        it (and is not lost); rows another worker holds are skipped."""
        query = (sa.select(self.model).where(self.model.search_pending.is_(True)).order_by(self.model.id)
                 .limit(limit).options(*self.load_options))
        if engine_of(session).dialect.name == "postgresql":
            query = query.with_for_update(of=self.model, skip_locked=True)
        return query

    def set_pending(self, session: Session, ids: list[int], pending: bool) -> None:
        """A plain UPDATE: indexing is not a change of the row (its version, which stale forms
        are checked against, and its updated_at, which retention counts from, stay as they are)."""
        session.execute(sa.update(self.model).where(self.model.id.in_(ids))
                        .values(search_pending=pending, updated_at=self.model.updated_at)
                        .execution_options(synchronize_session=False))

    def pending_count(self, session: Session) -> int:
        return session.scalar(sa.select(sa.func.count()).select_from(self.model)
                              .where(self.model.search_pending.is_(True))) or 0


def opened_submission(item: Submission) -> Document:
    """The document of a submission opened with its thread (app/sealed/vault.py)."""
    return submission_document({name: getattr(item, name) for name in INDEXED_FIELDS},
                               [note.body for note in item.notes], [message.body for message in item.messages])


def _open_submissions(session: Session, keyring: Keyring, items: list[Submission]) -> list[tuple[int, Document]]:
    docs = []
    for item in items:  # the account, notes and messages: what is searched (files are not)
        key = vault.open_for_staff(keyring, item)
        for message in item.messages:
            vault.open_message(message, key)
        for note in item.notes:
            vault.open_note(note, keyring)
        docs.append((item.id, opened_submission(item)))
    return docs


def opened_record(record: Record) -> Document:
    """The document of an opened record (app/sealed/records.py): names, aliases, description."""
    return record_document(record.kind, {name: record.opened(name) for name in RECORD_FIELDS})


def _open_records(session: Session, keyring: Keyring, items: list[Record]) -> list[tuple[int, Document]]:
    return [(record.id, opened_record(record)) for record in sealed_records.open_all(keyring, items)]


SUBMISSIONS = Corpus("submission", Submission, SearchMember, SearchMember.submission_id, _open_submissions,
                     (selectinload(Submission.notes), selectinload(Submission.messages)))
RECORDS = Corpus("record", Record, SearchRecordMember, SearchRecordMember.record_id, _open_records)
CORPORA = (SUBMISSIONS, RECORDS)
BY_NAME = {corpus.name: corpus for corpus in CORPORA}
