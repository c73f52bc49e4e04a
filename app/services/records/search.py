"""Finding records by their names, aliases and descriptions, which are sealed.

The interface the pages use:
- `mark_pending(session, record)`: the record is new or changed; (re)index it.
- `find_record_ids(session, keyring, raw_query, kind=None, limit=200)`: ids of the records
  whose name, an alias or the description contain every word of the query, newest first.
- `suggest(session, keyring, texts, limit=10)`: records whose name or an alias occurs in
  `texts` (an item's narrative, messages, notes), for linking an item to them.

This first version answers in the officer's session by opening the records it looks at
(nothing opened is kept beyond the request, nothing derived is stored). It is correct but
opens every record of a kind per search, which is too slow at tens of thousands of records:
the sealed search index (app/sealed/search) takes its place behind the same functions.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Record
from app.sealed import records as sealed
from app.sealed.keys import Keyring


def mark_pending(session: Session, record: Record) -> None:
    record.search_pending = True


def _haystack(record: Record) -> str:
    return "\n".join([record.label, *record.aliases, record.description]).casefold()


def _opened(session: Session, keyring: Keyring, kind: str | None) -> list[Record]:
    statement = sa.select(Record).order_by(Record.id.desc())
    if kind:
        statement = statement.where(Record.kind == kind)
    return sealed.open_all(keyring, list(session.scalars(statement)))


def find_record_ids(session: Session, keyring: Keyring, raw_query: str, kind: str | None = None,
                    limit: int = 200) -> list[int]:
    words = [word.casefold() for word in raw_query.split()]
    if not words:
        return []
    found = [record.id for record in _opened(session, keyring, kind)
             if all(word in _haystack(record) for word in words)]
    return found[:limit]


def suggest(session: Session, keyring: Keyring, texts: list[str], limit: int = 10) -> list[Record]:
    text = "\n".join(texts).casefold()
    if not text.strip():
        return []
    found = [record for record in _opened(session, keyring, None)
             if record.kind in ("person", "place")
             and any(len(name) >= 2 and name.casefold() in text for name in (record.label, *record.aliases))]
    return found[:limit]
