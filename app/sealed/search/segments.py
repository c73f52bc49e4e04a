"""Segments of the index: postings built from submissions' documents, written as encrypted
blocks, read back, and combined when segments are merged.

A segment is immutable once live. The worker (worker.py) writes a new one for each batch of
submissions it indexes and merges small ones, so that a search asks every live segment for
each of its tokens (one head label per token and segment) and a copy shows only what
SECURITY.md lists."""
from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from app.models.base import engine_of
from app.models.search import SearchSegment
from app.sealed.search import blocks
from app.sealed.search.blocks import MAX_POSITION, POSITION_BITS
from app.sealed.search.keys import SearchKeys
from app.sealed.search.text import Document, slots, token

POSITION_MASK = (1 << POSITION_BITS) - 1
INSERT_CHUNK = 2000
FETCH_CHUNK = 5000


@dataclass
class Postings:
    """Every token's sorted postings, side by side: values[starts[i]:starts[i + 1]] are the
    postings of tokens[i]."""

    tokens: list[str]
    starts: np.ndarray
    values: np.ndarray

    def items(self) -> Iterator[tuple[str, np.ndarray]]:
        for i, name in enumerate(self.tokens):
            yield name, self.values[self.starts[i]:self.starts[i + 1]]

    @classmethod
    def gather(cls, names: list[str], token_ids: np.ndarray, values: np.ndarray) -> Postings:
        """Sort (token, posting) pairs and drop repeats (word beginnings repeat within a document)."""
        keys = np.unique((token_ids.astype(np.uint64) << np.uint64(32)) | values.astype(np.uint64))
        ids = (keys >> np.uint64(32)).astype(np.int64)
        if not len(ids):
            return cls([], np.zeros(1, np.int64), np.zeros(0, np.uint32))
        starts = np.concatenate(([0], np.flatnonzero(np.diff(ids)) + 1, [len(ids)])).astype(np.int64)
        return cls([names[i] for i in ids[starts[:-1]]], starts, (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32))


def postings_of(docs: list[tuple[int, Document]]) -> tuple[np.ndarray, Postings]:
    """The document ids (sorted) and the postings of their documents."""
    docs = sorted(docs, key=lambda pair: pair[0])
    if len(docs) > blocks.MAX_SEGMENT_DOCS:
        raise ValueError(f"a segment holds at most {blocks.MAX_SEGMENT_DOCS} documents")
    names: dict[str, int] = {}
    words: dict[str, int] = {}  # a document's word -> its token's id ("w:" + word)
    token_ids, values = array("q"), array("I")
    for doc_no, (_sid, doc) in enumerate(docs):
        base = doc_no << POSITION_BITS
        for position, slot in enumerate(slots(doc)):
            tid = words.get(slot.token)
            if tid is None:
                tid = words[slot.token] = names.setdefault(token("w", slot.token), len(names))
            token_ids.append(tid)
            values.append(base | min(position, MAX_POSITION))
            for extra in slot.extra:
                token_ids.append(names.setdefault(extra, len(names)))
                values.append(base)
    ids = np.array([sid for sid, _ in docs], dtype=np.int64)
    return ids, Postings.gather(list(names), np.frombuffer(token_ids, np.int64), np.frombuffer(values, np.uint32))


def combine(parts: list[tuple[np.ndarray, Postings, np.ndarray]]) -> tuple[np.ndarray, Postings]:
    """Merge segments' postings: (submission ids, postings, which ids to keep) of each, into
    one segment numbered by the sorted union of the kept ids."""
    new_ids = np.sort(np.concatenate([ids[keep] for ids, _, keep in parts])) if parts else np.zeros(0, np.int64)
    names: dict[str, int] = {}
    token_parts, value_parts = [], []
    for ids, postings, keep in parts:
        remap = np.full(len(ids), -1, dtype=np.int64)
        remap[keep] = np.searchsorted(new_ids, ids[keep])
        local = np.array([names.setdefault(name, len(names)) for name in postings.tokens], dtype=np.int64)
        counts = np.diff(postings.starts)
        tids = np.repeat(local, counts)
        docs = remap[(postings.values >> POSITION_BITS).astype(np.int64)]
        kept = docs >= 0
        token_parts.append(tids[kept])
        value_parts.append((docs[kept].astype(np.uint32) << np.uint32(POSITION_BITS))
                           | (postings.values[kept] & np.uint32(POSITION_MASK)))
    if not token_parts:
        return new_ids, Postings.gather([], np.zeros(0, np.int64), np.zeros(0, np.uint32))
    return new_ids, Postings.gather(list(names), np.concatenate(token_parts), np.concatenate(value_parts))


# --- writing ------------------------------------------------------------------------------------

def create(session: Session, keys: SearchKeys, ids: np.ndarray, postings: Postings,
           state: str = "live", with_blocks: bool = True,
           corpus: str = "submission") -> tuple[SearchSegment, blocks.Built]:
    """A new segment of a corpus' documents under the current key; its blocks are written now,
    or by the caller in chunks (with_blocks=False: a large merge, whose blocks go in several
    transactions)."""
    nonce = blocks.new_nonce()
    built = blocks.build(keys.current, nonce, postings.items(), blocks.CURRENT)
    segment = SearchSegment(corpus=corpus, key_id=keys.current_id, nonce=nonce, state=state,
                            layout=blocks.CURRENT.number,
                            docs=len(ids), doc_ids=ids.astype("<i8").tobytes(), heads=built.heads, tails=built.tails)
    session.add(segment)
    session.flush()
    if with_blocks:
        insert_blocks(session, segment.id, built.blocks)
    return segment, built


def insert_blocks(session: Session, segment_id: int, rows: list[tuple[bytes, bytes]]) -> None:
    """Straight to the driver: a segment has tens of thousands of blocks, and SQLAlchemy's
    processing of each bytes value cost more than the insert itself."""
    mark = "%s" if engine_of(session).dialect.name == "postgresql" else "?"
    statement = f"INSERT INTO search_block (label, segment_id, body) VALUES ({mark}, {mark}, {mark})"  # nosec B608
    connection = session.connection()
    for start in range(0, len(rows), INSERT_CHUNK):
        connection.exec_driver_sql(statement, [(name, segment_id, body)
                                               for name, body in rows[start:start + INSERT_CHUNK]])


def doc_ids(segment: SearchSegment | bytes) -> np.ndarray:
    raw = segment if isinstance(segment, bytes) else segment.doc_ids
    return np.frombuffer(raw, dtype="<i8").astype(np.int64)


# --- reading ------------------------------------------------------------------------------------

def _rows(session: Session, statement: str, parameters: tuple) -> list[tuple[bytes, bytes]]:
    """(label, body) rows straight from the driver; on PostgreSQL in its binary format, so bodies
    arrive as bytes, not as hex text to decode (10 ms instead of 17–25 ms for the 2 MB a common
    word's tails hold)."""
    if engine_of(session).dialect.name != "postgresql":
        return [(bytes(label), bytes(body)) for label, body in
                session.connection().exec_driver_sql(statement.replace("%s", "?"), parameters)]
    driver = session.connection().connection.driver_connection
    if driver is None:
        raise RuntimeError("no database connection")
    with driver.cursor(binary=True) as cursor:
        cursor.execute(statement, parameters)
        return [(bytes(label), bytes(body)) for label, body in cursor.fetchall()]


def fetch(session: Session, labels: list[bytes]) -> dict[bytes, bytes]:
    """The bodies of the blocks with these labels (those that exist)."""
    found: dict[bytes, bytes] = {}
    if not labels:
        return found
    if engine_of(session).dialect.name == "postgresql":
        for start in range(0, len(labels), FETCH_CHUNK * 4):
            found.update(_rows(session, "SELECT label, body FROM search_block WHERE label = ANY(%b)",
                               (labels[start:start + FETCH_CHUNK * 4],)))
        return found
    for start in range(0, len(labels), FETCH_CHUNK):
        chunk = labels[start:start + FETCH_CHUNK]
        marks = ",".join("?" * len(chunk))
        found.update(_rows(session, f"SELECT label, body FROM search_block WHERE label IN ({marks})",  # nosec B608
                           tuple(chunk)))
    return found


def blocks_of(session: Session, segment_id: int) -> dict[bytes, bytes]:
    """Every block of a segment, label -> body."""
    return dict(_rows(session, "SELECT label, body FROM search_block WHERE segment_id = %s", (segment_id,)))


def read(search_key: bytes, nonce: bytes, rows: dict[bytes, bytes], layout: blocks.Layout) -> Postings:
    """Every posting of a segment, opened with its key (for a merge), from its blocks: heads
    are the blocks of head size; each head names its token, from which its tails' labels follow.
    Nothing here reads the database, so the caller can end its transaction first (on SQLite a
    transaction holds the write lock)."""
    cipher = blocks.segment_cipher(search_key, nonce)
    head_size = blocks.HEAD_PLAIN + 28
    names: list[str] = []
    token_parts, value_parts = [], []
    for name, body in rows.items():
        if len(body) != head_size:
            continue
        head = blocks.read_head(cipher.decrypt(body, name))
        if head is None:
            continue
        key = blocks.token_key(search_key, head.token)
        opened = {}
        for index in range(1, head.tails + 1):
            tail_label = blocks.label(key, nonce, index)
            opened[index] = cipher.decrypt(rows[tail_label], tail_label)
        values = blocks.postings_of_head(head, opened, layout)
        token_parts.append(np.full(len(values), len(names), dtype=np.int64))
        value_parts.append(values)
        names.append(head.token)
    if not names:
        return Postings.gather([], np.zeros(0, np.int64), np.zeros(0, np.uint32))
    return Postings.gather(names, np.concatenate(token_parts), np.concatenate(value_parts))
