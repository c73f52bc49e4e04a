"""Answering a query from the sealed index, in an unlocked session.

For every token the query needs and every live segment, the head's label is computed and the
heads are read in one statement; tokens with more postings than a head holds have their tails
read in a second. The postings are decrypted in memory, phrases are matched on positions
(numpy), terms are combined per segment, postings of submissions that were indexed again or
deleted since are left out, and the result is the sorted ids of the matching documents (of
one corpus: submissions or records, corpus.py).
Nothing of it is written anywhere."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from sqlalchemy.orm import Session

from app.models.search import SearchSegment, SearchStale
from app.sealed.search import blocks, segments
from app.sealed.search.blocks import POSITION_BITS
from app.sealed.search.corpus import SUBMISSIONS, Corpus
from app.sealed.search.keys import SearchKeys
from app.sealed.search.text import Document, Query, Term

_DOC_IDS: OrderedDict[tuple[int, bytes], np.ndarray] = OrderedDict()  # immutable, in the clear
_DOC_IDS_KEPT = 1024


@dataclass
class _Segment:
    id: int
    key_id: int
    nonce: bytes
    layout: blocks.Layout


def _live(session: Session, corpus: Corpus) -> list[_Segment]:
    rows = session.execute(sa.select(SearchSegment.id, SearchSegment.key_id, SearchSegment.nonce, SearchSegment.layout)
                           .where(SearchSegment.state == "live", SearchSegment.corpus == corpus.name)).tuples().all()
    return [_Segment(id_, key_id, nonce, blocks.LAYOUTS[layout]) for id_, key_id, nonce, layout in rows]


def _doc_ids(session: Session, wanted: list[_Segment]) -> dict[int, np.ndarray]:
    """The document ids of these segments: a segment never changes, so each worker keeps them."""
    found, missing = {}, []
    for segment in wanted:
        kept = _DOC_IDS.get((segment.id, segment.nonce))
        if kept is None:
            missing.append(segment)
        else:
            _DOC_IDS.move_to_end((segment.id, segment.nonce))
            found[segment.id] = kept
    if missing:
        rows = session.execute(sa.select(SearchSegment.id, SearchSegment.nonce, SearchSegment.doc_ids)
                               .where(SearchSegment.id.in_([s.id for s in missing]))).tuples().all()
        for segment_id, nonce, raw in rows:
            found[segment_id] = _DOC_IDS[(segment_id, nonce)] = segments.doc_ids(raw)
        while len(_DOC_IDS) > _DOC_IDS_KEPT:
            _DOC_IDS.popitem(last=False)
    return found


def _postings(session: Session, keys: SearchKeys, live: list[_Segment],
              tokens: list[str]) -> dict[tuple[str, int], np.ndarray]:
    """(token, segment id) -> that token's sorted postings in that segment, where it occurs."""
    token_keys = {(name, key_id): blocks.token_key(key, name) for name in tokens for key_id, key in keys.keys.items()}
    ciphers = {s.id: blocks.segment_cipher(keys.keys[s.key_id], s.nonce) for s in live}
    wanted = {blocks.label(token_keys[name, s.key_id], s.nonce, 0): (name, s) for name in tokens for s in live}
    heads: dict[tuple[str, int], tuple[blocks.Head, blocks.Layout]] = {}
    tails: dict[bytes, tuple[tuple[str, int], int]] = {}  # label -> (where, index)
    for name_label, body in segments.fetch(session, list(wanted)).items():
        name, segment = wanted[name_label]
        head = blocks.read_head(ciphers[segment.id].decrypt(body, name_label))
        if head is None or head.token != name:
            continue  # a dummy, or another token's block under a colliding label (2^-128)
        where = (name, segment.id)
        heads[where] = head, segment.layout
        for index in range(1, head.tails + 1):
            tails[blocks.label(token_keys[name, segment.key_id], segment.nonce, index)] = (where, index)
    opened: dict[tuple[str, int], dict[int, bytes]] = {}
    for tail_label, body in segments.fetch(session, list(tails)).items():
        where, index = tails[tail_label]
        opened.setdefault(where, {})[index] = ciphers[where[1]].decrypt(body, tail_label)
    return {where: blocks.postings_of_head(head, opened.get(where, {}), layout)
            for where, (head, layout) in heads.items()}


def _follows(values: np.ndarray, following: np.ndarray) -> np.ndarray:
    """The values of `values` whose next position (value + 1) is in `following` (both sorted)."""
    shifted = values + np.uint32(1)
    at = np.searchsorted(following, shifted)
    inside = at < len(following)
    keep = np.zeros(len(values), dtype=bool)
    keep[inside] = following[at[inside]] == shifted[inside]
    return shifted[keep]


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique for values already sorted: one pass, where np.unique would sort or hash them."""
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _intersect_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The values of `a` also in `b`, both sorted and unique: a binary search of each value of the
    shorter in the longer (np.intersect1d would concatenate and sort both, per segment)."""
    if len(a) > len(b):
        a, b = b, a
    if not len(a):
        return a
    at = np.searchsorted(b, a)
    at[at == len(b)] = 0
    return a[b[at] == a]


def _merge_sorted(parts: list[np.ndarray]) -> np.ndarray:
    """Sorted, unique values of several sorted arrays. Segments mostly hold ranges of ids that do
    not overlap: laid end to end by their first values they are usually in order already, which
    a comparison finds in one pass; only otherwise is everything sorted."""
    parts = sorted((part for part in parts if len(part)), key=lambda part: part[0])
    if not parts:
        return np.zeros(0, dtype=np.int64)
    joined = np.concatenate(parts)
    if len(joined) > 1 and not bool(np.all(joined[1:] >= joined[:-1])):
        joined = np.sort(joined)
    return _sorted_unique(joined)


def _docs(values: np.ndarray) -> np.ndarray:
    """The document numbers of sorted postings (document number, then position)."""
    return _sorted_unique(values >> np.uint32(POSITION_BITS))


def _term_docs(term: Term, segment_id: int, postings: dict[tuple[str, int], np.ndarray]) -> np.ndarray:
    """The document numbers of a segment where the term is found."""
    empty = np.zeros(0, dtype=np.uint32)
    docs = None
    for name in term.triples:  # a run of 3+ syllables: every triple in the same document
        found = postings.get((name, segment_id))
        if found is None:
            return empty
        docs = _docs(found) if docs is None else _intersect_sorted(docs, _docs(found))
    if term.phrase:
        current = postings.get((term.phrase[0], segment_id))
        for name in term.phrase[1:]:
            if current is None or not len(current):
                return empty
            following = postings.get((name, segment_id))
            if following is None:
                return empty
            current = _follows(current, following)
        if current is None:
            return empty
        docs = _docs(current)
    if term.beginning:
        beginning = postings.get((term.beginning, segment_id))
        if beginning is None:
            return empty
        starts = _docs(beginning)
        docs = starts if docs is None else _intersect_sorted(docs, starts)
    return docs if docs is not None else empty


def _by_public_id(session: Session, prefix: str, corpus: Corpus) -> np.ndarray:
    """Documents whose public id begins with `prefix`: the column is in the clear, so it is
    searched there (an index range scan), not through the sealed index."""
    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    public_id = corpus.model.public_id
    ids = session.scalars(sa.select(corpus.model.id).where(public_id >= prefix, public_id < end).limit(1000))
    return np.array(sorted(ids), dtype=np.int64)


def in_memory(docs: list[tuple[int, Document]], query: Query) -> np.ndarray:
    """The sorted ids of these documents (opened in this request, not in the index yet) that
    contain every term: their postings are built as for a segment and matched the same way,
    in memory only."""
    if not docs or not query:
        return np.zeros(0, dtype=np.int64)
    ids, postings = segments.postings_of(docs)
    wanted = set(query.tokens)
    found = {(name, 0): values for name, values in postings.items() if name in wanted}
    result: np.ndarray | None = None
    for term in query.terms:
        matched = ids[_term_docs(term, 0, found).astype(np.int64)]
        result = matched if result is None else _intersect_sorted(result, matched)
    return result if result is not None else np.zeros(0, dtype=np.int64)


def matching_ids(session: Session, query: Query, keys: SearchKeys, corpus: Corpus = SUBMISSIONS) -> np.ndarray:
    """The sorted ids of the documents of a corpus that contain every term of the query."""
    if not query or not keys:
        return np.zeros(0, dtype=np.int64)
    live = [s for s in _live(session, corpus) if s.key_id in keys.keys]
    try:
        postings = _postings(session, keys, live, query.tokens) if live else {}
    except InvalidTag as damaged:  # a block changed or moved: the index cannot be trusted
        raise IndexDamaged from damaged
    found: list[list[tuple[int, np.ndarray]]] = []  # per term: (segment id, document numbers)
    for term in query.terms:
        found.append([(s.id, docs) for s in live if len(docs := _term_docs(term, s.id, postings))])
    touched = {segment_id for per_term in found for segment_id, _ in per_term}
    stale: dict[int, list[int]] = {}
    if touched:
        for segment_id, submission_id in session.execute(
                sa.select(SearchStale.segment_id, SearchStale.submission_id)
                .where(SearchStale.segment_id.in_(list(touched)))).tuples():
            stale.setdefault(segment_id, []).append(submission_id)
    ids_of = _doc_ids(session, [s for s in live if s.id in touched])
    result: np.ndarray | None = None
    for term, per_term in zip(query.terms, found, strict=True):
        parts = []
        for segment_id, docs in per_term:
            ids = ids_of[segment_id][docs.astype(np.int64)]
            if segment_id in stale:
                ids = ids[~np.isin(ids, np.array(stale[segment_id], dtype=np.int64))]
            parts.append(ids)
        if (prefix := term.public_id_prefix) is not None:
            parts.append(_by_public_id(session, prefix, corpus))
        ids = _merge_sorted(parts)
        result = ids if result is None else _intersect_sorted(result, ids)
        if not len(result):
            break
    return result if result is not None else np.zeros(0, dtype=np.int64)


def ids_by_token(session: Session, tokens: list[str], keys: SearchKeys, corpus: Corpus) -> dict[str, np.ndarray]:
    """For each of these tokens (named, as text.token gives them) that the documents of a corpus
    hold, the sorted ids of those documents: one head label per token and segment, as a search."""
    live = [s for s in _live(session, corpus) if s.key_id in keys.keys]
    if not tokens or not live:
        return {}
    try:
        postings = _postings(session, keys, live, tokens)
    except InvalidTag as damaged:
        raise IndexDamaged from damaged
    touched = {segment_id for _name, segment_id in postings}
    if not touched:
        return {}
    stale: dict[int, np.ndarray] = {}
    for segment_id, doc_id in session.execute(sa.select(SearchStale.segment_id, SearchStale.submission_id)
                                              .where(SearchStale.segment_id.in_(list(touched)))).tuples():
        stale[segment_id] = np.append(stale.get(segment_id, np.zeros(0, dtype=np.int64)), doc_id)
    ids_of = _doc_ids(session, [s for s in live if s.id in touched])
    parts: dict[str, list[np.ndarray]] = {}
    for (name, segment_id), values in postings.items():
        ids = ids_of[segment_id][_docs(values).astype(np.int64)]
        if segment_id in stale:
            ids = ids[~np.isin(ids, stale[segment_id])]
        parts.setdefault(name, []).append(ids)
    return {name: _merge_sorted(found) for name, found in parts.items()}


class IndexDamaged(RuntimeError):
    """A block of the index does not open: it was changed, or moved to another label."""
