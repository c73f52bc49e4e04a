"""Search over sealed submissions, with an index that a copy of the server cannot read.

The index is an encrypted multimap (blocks.py) in segments (segments.py), kept up to date by
the worker (worker.py) in unlocked sessions and read by reader.py. What the rest of the app
uses is here:

- `parse(raw)` → Query, and the Term/Query types (text.py: how text becomes tokens);
- `find(session, query, keyring)` → the sorted ids of the submissions that match, computed in
  memory from blocks opened with the session's search keys;
- `membership(session, column, ids)` → a WHERE clause for those ids that both databases
  answer fast, however many there are (the queue combines it with its filters and counts);
- `keep_up`, `pending_count`, `mark_pending`, `mark_all_pending`, `run`: the index's upkeep.

Records are a second corpus of the same index (corpus.py): `matching_ids(..., RECORDS)` and
`ids_by_token` answer app/services/records/search.py.

Every value the index stores is either random, or a PRF/AEAD output under a key that only an
unlocked session holds, with a fresh random nonce per segment: nothing at rest is a
deterministic function of what a person wrote (SECURITY.md, "Search without plaintext").
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from app.models.base import engine_of
from app.sealed.keys import Keyring
from app.sealed.search.corpus import CORPORA, RECORDS, SUBMISSIONS, Corpus
from app.sealed.search.keys import SearchKeys, open_keys
from app.sealed.search.keys import create as rotate_key
from app.sealed.search.keys import ensure as ensure_keys
from app.sealed.search.reader import IndexDamaged, ids_by_token, in_memory, matching_ids
from app.sealed.search.text import (
    INDEXED_FIELDS,
    MAX_QUERY_CHARS,
    Document,
    Query,
    Term,
    document,
    document_tokens,
    parse,
    submission_document,
)
from app.sealed.search.worker import (
    FULL_DOCS,
    index_documents,
    keep_up,
    mark_all_pending,
    mark_pending,
    pending_count,
    rotation_left,
    run,
    work_due,
)

__all__ = [
    "CORPORA",
    "FULL_DOCS",
    "INDEXED_FIELDS",
    "MAX_QUERY_CHARS",
    "RECORDS",
    "SUBMISSIONS",
    "Corpus",
    "Document",
    "IndexDamaged",
    "Query",
    "SearchKeys",
    "Term",
    "document",
    "document_tokens",
    "ensure_keys",
    "find",
    "ids_by_token",
    "in_memory",
    "index_documents",
    "keep_up",
    "mark_all_pending",
    "mark_pending",
    "matching_ids",
    "membership",
    "open_keys",
    "parse",
    "pending_count",
    "rotate_key",
    "rotation_left",
    "run",
    "search_ids",
    "submission_document",
    "walking_the_sort_order",
    "work_due",
]

# Up to this many ids, PostgreSQL gets them as an array (an index lookup each); beyond, as a
# bitmap that a walk of the queue's sort order tests row by row (get_bit), which costs the same
# for 250,000 matches as for 5,000 (bench/README.md).
ARRAY_LIMIT = 5000


def find(session: Session, query: Query, keyring: Keyring) -> np.ndarray:
    """The sorted ids of the submissions that contain every term (none without unlocked keys)."""
    if not query or not keyring:
        return np.zeros(0, dtype=np.int64)
    return matching_ids(session, query, open_keys(session, keyring))


def membership(session: Session, column, ids: np.ndarray):
    """`column IN ids`, written so that the database answers it fast for any number of ids."""
    if not len(ids):
        return sa.false()
    if engine_of(session).dialect.name == "postgresql":
        if len(ids) <= ARRAY_LIMIT:
            return column == sa.any_(sa.bindparam(None, ids.tolist(), type_=postgresql.ARRAY(sa.BigInteger)))
        bits = np.zeros(int(ids[-1]) + 1, dtype=bool)
        bits[ids] = True
        bitmap = np.packbits(bits, bitorder="little").tobytes()
        return sa.case((column < len(bitmap) * 8,
                        sa.func.get_bit(sa.bindparam(None, bitmap, type_=sa.LargeBinary), column)), else_=0) == 1
    # SQLite: json_each gives the set, and "+ 0" keeps SQLite walking the sort order's index
    # (and probing the set) instead of looking up and sorting every match.
    listed = sa.func.json_each(sa.bindparam(None, json.dumps(ids.tolist()), type_=sa.String))
    return (column + 0).in_(sa.select(sa.literal_column("value")).select_from(listed))


@contextmanager
def walking_the_sort_order(session: Session, ids: np.ndarray | None) -> Iterator[None]:
    """Around a page's query when many ids match on PostgreSQL. The bitmap test is priced as an
    equality that 0.5 % of rows pass, so with another filter (a province, a category) the
    planner fetches every row of that filter and sorts them (129 ms for 고문 with a category
    and a province at 100,000) instead of walking the sort order's index until a page is full
    (1.4 ms). Sorting is made the last resort for this one query; the array of a small set has
    real statistics and is left to the planner (a walk could read the whole table for it)."""
    steer = ids is not None and len(ids) > ARRAY_LIMIT and engine_of(session).dialect.name == "postgresql"
    if steer:
        session.execute(sa.text("SET LOCAL enable_sort = off"))
    try:
        yield
    finally:
        if steer:
            session.execute(sa.text("SET LOCAL enable_sort TO DEFAULT"))


def search_ids(session: Session, raw_query: str, keyring: Keyring, limit: int = 1000) -> list[int]:
    """Submission ids matching the query, newest first (an invalid query matches nothing)."""
    ids = find(session, parse(raw_query), keyring)
    return ids[::-1][:limit].tolist()
