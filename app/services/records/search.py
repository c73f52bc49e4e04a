"""Finding records by their names, aliases and descriptions, which are sealed.

The interface the pages use:
- `mark_pending(session, record)`: the record is new or changed; (re)index it.
- `find_record_ids(session, keyring, raw_query, kind=None, limit=200)`: ids of the records
  whose name, an alias, the description (or an event's when) contain every term of the query,
  newest first.
- `suggest(session, keyring, texts, limit=10)`: person and place records whose name or an
  alias occurs in `texts` (an item's narrative, messages, notes), for linking an item to them.

Both are answered from the sealed search index (app/sealed/search), where records are a corpus
of their own: terms are matched as the queue matches testimony (Korean pairs and triples, word
beginnings, North/South spellings), so two syllables of a name or the start of a romanized
alias find it. Records that wait for the index — the staff request's keep_up indexes a few
before the view runs, but a record written in this very request, or a backlog, is not in it
yet — are opened here and matched in memory by the same code (at most WAITING_OPENED of them).

Suggestions: a record's names and aliases are also indexed under "n:" keys (their first three
syllables, or first Latin word, text.name_key). The text's possible keys (word beginnings first,
at most SUGGEST_KEYS) name the candidates; at most SUGGEST_CANDIDATES of them are opened, those
sharing the rarest keys with the text first, and those whose name or alias really occurs in the
text are kept. Nothing of it is stored: the
keys, the candidates and the names live in this request only.
"""
from __future__ import annotations

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Record
from app.sealed import records as sealed
from app.sealed import search
from app.sealed.keys import Keyring
from app.sealed.search import text
from app.sealed.search.corpus import RECORD_FIELDS, RECORDS, opened_record
from app.sealed.search.reader import ids_by_token

WAITING_OPENED = 100  # records waiting for the index that a search opens and matches itself
SUGGEST_KEYS = 3000  # name keys a text is looked up by (one head label per key and segment)
SUGGEST_CANDIDATES = 100  # records opened (a key unsealed each, 0.16 ms) to check that their names occur


def mark_pending(session: Session, record: Record) -> None:
    record.search_pending = True


def _content(record: Record) -> dict:
    return {name: record.opened(name) for name in RECORD_FIELDS}


def _waiting(session: Session, keyring: Keyring) -> list[Record]:
    """The newest records not in the index yet, opened."""
    rows = list(session.scalars(sa.select(Record).where(Record.search_pending.is_(True))
                                .order_by(Record.id.desc()).limit(WAITING_OPENED)))
    return sealed.open_all(keyring, rows)


KIND_CHUNK = 1000  # matches asked at a time which of them are of a kind


def _of_kind(session: Session, ids: np.ndarray, kind: str | None, limit: int) -> list[int]:
    """These ids (sorted), newest first, only of `kind` if given: the newest matches are asked
    their kind a chunk at a time (primary key lookups) until `limit` are found. An
    `id = ANY(array)` filter in one query was tested row by row along the kind's index on
    PostgreSQL (185 ms for 4,000 matches), and reading all of a kind's ids cost 70 ms."""
    newest = ids[::-1]
    if kind is None:
        return newest[:limit].tolist()
    found: list[int] = []
    for start in range(0, len(newest), KIND_CHUNK):
        chunk = newest[start:start + KIND_CHUNK].tolist()
        found += sorted(session.scalars(sa.select(Record.id).where(Record.id.in_(chunk), Record.kind == kind)),
                        reverse=True)
        if len(found) >= limit:
            break
    return found[:limit]


def find_record_ids(session: Session, keyring: Keyring, raw_query: str, kind: str | None = None,
                    limit: int = 200) -> list[int]:
    query = search.parse(raw_query)
    if not query or not keyring.org:
        return []
    keys = search.open_keys(session, keyring)
    found = search.matching_ids(session, query, keys, RECORDS) if keys else np.zeros(0, dtype=np.int64)
    waiting = _waiting(session, keyring)
    if waiting:  # their postings in the index (if any) are of an older text: matched anew
        waiting_ids = np.array(sorted(record.id for record in waiting), dtype=np.int64)
        found = found[~np.isin(found, waiting_ids)]
        found = np.union1d(found, search.in_memory([(r.id, opened_record(r)) for r in waiting], query))
    return _of_kind(session, found, kind, limit)


def _occurring(record: Record, haystack: str) -> bool:
    return any(text.occurs(name, haystack) for name in text.record_names(record.kind, _content(record)))


def suggest(session: Session, keyring: Keyring, texts: list[str], limit: int = 10) -> list[Record]:
    keys_wanted = text.suggestion_keys(list(texts), SUGGEST_KEYS)
    if not keys_wanted or not keyring.org:
        return []
    haystack = text.normalized("\n".join(t for t in texts if t))
    waiting = [r for r in _waiting(session, keyring) if r.kind in text.SUGGESTED_KINDS]
    waiting_ids = {record.id for record in waiting}
    candidates: dict[int, None] = {}
    keys = search.open_keys(session, keyring)
    if keys:
        by_token = ids_by_token(session, keys_wanted, keys, RECORDS)
        # Each record scores the rarity of the keys it shares with the text (1 / how many records
        # hold the key): a rare key — a person's whole name — outweighs one that begins hundreds
        # of names (회령… for every facility of 회령), and a place whose every word is in the text
        # outweighs those that only begin like it.
        score: dict[int, float] = {}
        for holders in by_token.values():
            weight = 1.0 / len(holders)
            for record_id in holders.tolist():
                score[record_id] = score.get(record_id, 0.0) + weight
        for record_id in sorted(score, key=lambda held: (-score[held], -held)):
            if record_id not in waiting_ids:
                candidates.setdefault(record_id)
            if len(candidates) >= SUGGEST_CANDIDATES:
                break
    chosen = list(candidates)[:SUGGEST_CANDIDATES]
    rows = list(session.scalars(sa.select(Record).where(Record.id.in_(chosen),
                                                        Record.kind.in_(text.SUGGESTED_KINDS)))) if chosen else []
    suggested = [record for record in [*waiting, *sealed.open_all(keyring, rows)] if _occurring(record, haystack)]
    suggested.sort(key=lambda record: record.id, reverse=True)
    return suggested[:limit]
