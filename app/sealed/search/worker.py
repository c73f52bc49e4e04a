"""Keeping the index up to date, in unlocked sessions only (the search key and the org key
exist nowhere else).

- Submissions and records (the two corpora, corpus.py) written while no officer is logged in
  are marked `search_pending`; each batch of one corpus becomes a new segment of that corpus
  (`index_pending`). Everything below is done for both, a segment only ever with segments of
  its own corpus.
- Small segments are merged, so that a search asks few segments; a segment that holds postings
  of a deleted submission, or many postings of submissions indexed again since, is rewritten
  without them; after `flask keys rotate-search`, segments under the old key are rewritten
  under the new one (`merge`). A large merge writes its blocks in several short transactions
  (SQLite serializes every transaction: a long one would hold up the public forms).
- One worker at a time writes, across every process and app server: the one holding the lease
  (a row with a holder and a deadline, renewed at each step). A worker that dies leaves a
  segment in state "building"; the next lease holder deletes it.

A staff request indexes a few waiting submissions itself; more work than that is done by a
background thread of the worker process, which stops when its work is done or when the
officer's key session that started it ends (logout, idle timeout): the keys it holds are that
session's and live no longer than it does.
"""
from __future__ import annotations

import atexit
import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import numpy as np
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, scoped_session

from app.models import Submission
from app.models.base import engine_of, rows_affected, utcnow
from app.models.search import SearchBlock, SearchKey, SearchLease, SearchSegment, SearchStale
from app.sealed.keys import Keyring
from app.sealed.search import blocks, segments
from app.sealed.search.corpus import BY_NAME, CORPORA, SUBMISSIONS, Corpus, opened_submission
from app.sealed.search.keys import SearchKeys, drop_unused, ensure
from app.sealed.search.text import Document

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
BATCH = 250  # documents per new segment when a backlog is indexed
INLINE_LIMIT = 25  # a staff request indexes this many waiting documents itself
# A segment this large is merged no further: any two smaller ones fit in one (MAX_SEGMENT_DOCS).
FULL_DOCS = blocks.MAX_SEGMENT_DOCS // 2
MAX_OPEN = 8  # segments below FULL_DOCS before the smallest are merged
DELETE_CHUNK = 5000
CHECK_EVERY = 10.0  # seconds between a process's looks for work that is due


# --- the lease ------------------------------------------------------------------------------------

def acquire(session: Session) -> str | None:
    """Take the lease if nobody holds it (or its holder let it lapse); the caller commits."""
    if session.get(SearchLease, 1) is None:
        try:
            with session.begin_nested():
                session.add(SearchLease(id=1))
        except IntegrityError:
            pass
    holder, now = secrets.token_hex(16), utcnow()
    taken = session.execute(sa.update(SearchLease).where(
        SearchLease.id == 1, sa.or_(SearchLease.holder.is_(None), SearchLease.until < now))
        .values(holder=holder, until=now + LEASE))
    return holder if rows_affected(taken) == 1 else None


def renew(session: Session, holder: str) -> bool:
    return rows_affected(session.execute(sa.update(SearchLease).where(SearchLease.id == 1, SearchLease.holder == holder)
                                         .values(until=utcnow() + LEASE))) == 1


def release(session: Session, holder: str) -> None:
    session.execute(sa.update(SearchLease).where(SearchLease.id == 1, SearchLease.holder == holder)
                    .values(holder=None, until=None))


# --- what waits -----------------------------------------------------------------------------------

def mark_pending(session: Session, submission: Submission) -> None:
    """The item's text changed (a note, a message): index it again from the next staff request."""
    SUBMISSIONS.set_pending(session, [submission.id], True)


def pending_count(session: Session, corpus: Corpus = SUBMISSIONS) -> int:
    """Documents of a corpus waiting for the index (submissions: what the pages report)."""
    return corpus.pending_count(session)


def mark_all_pending(session: Session) -> int:
    """Empty the index and queue every document of every corpus for indexing from the next
    officer session (after a restore, new org keys, or data sealed from before). The keys
    stay. Returns the number of submissions queued."""
    for table in (*(corpus.member for corpus in CORPORA), SearchStale, SearchBlock, SearchSegment):
        session.execute(sa.delete(table))
    counts = {corpus.name: rows_affected(session.execute(sa.update(corpus.model).values(search_pending=True)
                                                         .execution_options(synchronize_session=False)))
              for corpus in CORPORA}
    return counts[SUBMISSIONS.name]


def rotation_left(session: Session) -> int:
    """Segments still under an older search key than the newest (0 when no rotation is under way)."""
    newest_key = sa.select(sa.func.max(SearchKey.id)).scalar_subquery()
    return session.scalar(sa.select(sa.func.count()).select_from(SearchSegment)
                          .where(SearchSegment.state == "live", SearchSegment.key_id < newest_key)) or 0


def work_due(session: Session) -> bool:
    """Anything for the lease holder: waiting documents, a merge, a rewrite, a clean-up."""
    newest_key = sa.select(sa.func.max(SearchKey.id)).scalar_subquery()
    too_many_open = (sa.select(SearchSegment.corpus)  # merges are within a corpus: counted per corpus
                     .where(SearchSegment.state == "live", SearchSegment.docs < FULL_DOCS)
                     .group_by(SearchSegment.corpus).having(sa.func.count() > MAX_OPEN))
    due = sa.select(sa.or_(
        *(sa.exists().where(corpus.model.search_pending.is_(True)) for corpus in CORPORA),
        sa.exists().where(SearchSegment.state != "live"),
        sa.exists().where(SearchSegment.key_id < newest_key),
        sa.exists().where(SearchSegment.state == "live", SearchSegment.layout != blocks.CURRENT.number),
        sa.exists().where(SearchStale.deleted.is_(True)),
        sa.exists(too_many_open)))
    return bool(session.scalar(due))


# --- indexing -------------------------------------------------------------------------------------

opened_document = opened_submission  # the name the demo seed and older callers know


def place(session: Session, segment_id: int, ids: list[int], corpus: Corpus = SUBMISSIONS) -> None:
    """These documents' postings are now in this segment: their earlier postings are stale."""
    member, doc = corpus.member, corpus.member_doc
    earlier = session.execute(sa.select(doc, member.segment_id).where(doc.in_(ids))).tuples().all()
    if earlier:
        session.execute(sa.update(member).where(doc.in_([sid for sid, _ in earlier]))
                        .values(segment_id=segment_id).execution_options(synchronize_session=False))
        session.execute(sa.insert(SearchStale), [{"segment_id": old, "submission_id": sid, "deleted": False}
                                                 for sid, old in earlier])
    moved = {sid for sid, _ in earlier}
    new = [{doc.key: sid, "segment_id": segment_id} for sid in ids if sid not in moved]
    if new:
        session.execute(sa.insert(member), new)


def index_documents(session: Session, keys: SearchKeys, docs: list[tuple[int, Document]],
                    corpus: Corpus = SUBMISSIONS) -> SearchSegment:
    """One live segment for these documents of a corpus (the demo seed calls this directly)."""
    ids, postings = segments.postings_of(docs)
    segment, _ = segments.create(session, keys, ids, postings, corpus=corpus.name)
    place(session, segment.id, [int(sid) for sid in ids], corpus)
    return segment


def index_pending(session: Session, keyring: Keyring, keys: SearchKeys, limit: int = BATCH,
                  corpus: Corpus = SUBMISSIONS) -> int:
    """Index up to `limit` waiting documents of a corpus as one new segment. The caller
    commits (rows are locked until then on PostgreSQL: Corpus.waiting)."""
    items = list(session.scalars(corpus.waiting(limit, session)))
    if not items:
        return 0
    index_documents(session, keys, corpus.open_batch(session, keyring, items), corpus)
    corpus.set_pending(session, [item.id for item in items], False)
    return len(items)


# --- merging --------------------------------------------------------------------------------------

def plan(session: Session, keys: SearchKeys) -> list[SearchSegment] | None:
    """The segments to merge (or rewrite alone) next, if any: those under an older key first,
    then those holding a deleted document's postings or a quarter stale, then the smallest of
    a corpus when too many of its segments are small, and last those written in an older
    layout. Segments merged together are always of one corpus."""
    live = list(session.scalars(sa.select(SearchSegment).where(SearchSegment.state == "live")
                                .order_by(SearchSegment.docs, SearchSegment.id)))
    stale = {segment_id: (count, bool(deleted)) for segment_id, count, deleted in session.execute(
        sa.select(SearchStale.segment_id, sa.func.count(), sa.func.max(sa.case((SearchStale.deleted, 1), else_=0)))
        .group_by(SearchStale.segment_id)).tuples()}
    for segment in live:
        if segment.key_id != keys.current_id:
            return [segment]
    for segment in live:
        count, deleted = stale.get(segment.id, (0, False))
        if deleted or count * 4 >= max(segment.docs, 1):
            return [segment]
    for corpus in CORPORA:
        small = [s for s in live if s.docs < FULL_DOCS and s.corpus == corpus.name]
        if len(small) > MAX_OPEN and len(chosen := _filling(small)) >= 2:
            return chosen
    for corpus in CORPORA:
        if chosen := _filling([s for s in live if s.layout != blocks.CURRENT.number and s.corpus == corpus.name]):
            return chosen
    return None


def _filling(segments_: list[SearchSegment]) -> list[SearchSegment]:
    """The smallest of these segments (sorted by size) that fit together in one segment."""
    chosen: list[SearchSegment] = []
    total = 0
    for segment in segments_:
        if chosen and total + segment.docs > blocks.MAX_SEGMENT_DOCS:
            break
        chosen.append(segment)
        total += segment.docs
    return chosen


def merge(session: Session, keys: SearchKeys, inputs: list[SearchSegment], step: Callable[[], None]) -> None:
    """Merge `inputs` into one new segment under the current key. `step` commits (and renews
    the lease); it is called between the short transactions this takes. The inputs are of one
    corpus (plan), and so is the merged segment."""
    corpus = BY_NAME[inputs[0].corpus]
    if any(s.corpus != corpus.name for s in inputs):
        raise ValueError("segments of different corpora are never merged")
    input_ids = [s.id for s in inputs]
    parts = []
    for segment in inputs:
        ids, search_key, nonce = segments.doc_ids(segment), keys.keys[segment.key_id], segment.nonce
        current = np.array(list(session.scalars(sa.select(corpus.member_doc)
                                                .where(corpus.member.segment_id == segment.id))), dtype=np.int64)
        rows = segments.blocks_of(session, segment.id)
        step()  # the blocks are read: decrypting them needs no transaction (nor SQLite's lock)
        opened = segments.read(search_key, nonce, rows, blocks.LAYOUTS[segment.layout])
        parts.append((ids, opened, np.isin(ids, current)))
    new_ids, postings = segments.combine(parts)
    merged = None
    if len(new_ids):
        merged, built = segments.create(session, keys, new_ids, postings, state="building", with_blocks=False,
                                        corpus=corpus.name)
        step()
        for start in range(0, len(built.blocks), DELETE_CHUNK):
            segments.insert_blocks(session, merged.id, built.blocks[start:start + DELETE_CHUNK])
            step()
    _swap(session, corpus, input_ids, merged, new_ids)
    step()


def _swap(session: Session, corpus: Corpus, input_ids: list[int], merged: SearchSegment | None,
          new_ids: np.ndarray) -> None:
    """One transaction: the merged segment goes live, the inputs retire. A document indexed
    again or deleted while the merge was being written has stale postings in it: they are
    recorded here, from the members as they are now."""
    member = corpus.member
    query = sa.select(corpus.member_doc).where(member.segment_id.in_(input_ids))
    if engine_of(session).dialect.name == "postgresql":
        query = query.with_for_update()
    current = set(session.scalars(query))
    if merged is not None:
        gone = [int(sid) for sid in new_ids if int(sid) not in current]
        existing = (set(session.scalars(sa.select(corpus.model.id).where(corpus.model.id.in_(gone))))
                    if gone else set())
        session.execute(sa.update(member).where(member.segment_id.in_(input_ids))
                        .values(segment_id=merged.id).execution_options(synchronize_session=False))
        if gone:
            session.execute(sa.insert(SearchStale), [{"segment_id": merged.id, "submission_id": sid,
                                                      "deleted": sid not in existing} for sid in gone])
        merged.state = "live"
    session.execute(sa.delete(SearchStale).where(SearchStale.segment_id.in_(input_ids)))
    session.execute(sa.update(SearchSegment).where(SearchSegment.id.in_(input_ids)).values(state="retired")
                    .execution_options(synchronize_session=False))


def clean_up(session: Session, state: str) -> bool:
    """Delete one chunk of the blocks of segments in `state` ("retired", or "building" left
    by a worker that died), and the segments once empty. True if anything was deleted."""
    segment_id = session.scalar(sa.select(SearchSegment.id).where(SearchSegment.state == state).limit(1))
    if segment_id is None:
        return False
    chunk = sa.select(SearchBlock.label).where(SearchBlock.segment_id == segment_id).limit(DELETE_CHUNK)
    if not rows_affected(session.execute(sa.delete(SearchBlock).where(SearchBlock.label.in_(chunk)))):
        for corpus in CORPORA:
            session.execute(sa.delete(corpus.member).where(corpus.member.segment_id == segment_id))
        session.execute(sa.delete(SearchStale).where(SearchStale.segment_id == segment_id))
        session.execute(sa.delete(SearchSegment).where(SearchSegment.id == segment_id))
    return True


# --- running --------------------------------------------------------------------------------------

def run(session: Session, keyring: Keyring, seconds: float | None = None, alive: Callable[[], bool] = lambda: True,
        index_only: bool = False, batch: int = BATCH, corpora: tuple[Corpus, ...] = CORPORA) -> bool:
    """Do what is due, in short transactions, while holding the lease: index waiting documents
    (of `corpora`), merge or rewrite segments, delete retired ones, drop unused keys. Stops when
    nothing is left, after `seconds`, or when `alive()` turns false. Returns False when
    another worker holds the lease (it does the work)."""
    if not keyring:
        return True
    holder = acquire(session)
    session.commit()
    if holder is None:
        return False
    deadline = None if seconds is None else time.monotonic() + seconds

    def step() -> None:
        if _exiting.is_set():
            raise LeaseLost  # the process is exiting: give the lease back now (below)
        if not renew(session, holder):
            raise LeaseLost
        session.commit()

    try:
        keys = ensure(session, keyring)
        step()
        while clean_up(session, "building"):
            step()
        while (deadline is None or time.monotonic() < deadline) and alive():
            if sum([index_pending(session, keyring, keys, batch, corpus) for corpus in corpora]):  # each corpus a batch
                step()
                continue
            if index_only:
                break
            if (chosen := plan(session, keys)) is not None:
                merge(session, keys, chosen, step)
                continue
            if clean_up(session, "retired"):
                step()
                continue
            drop_unused(session, keys)
            step()
            break
    except LeaseLost:
        session.rollback()
        return True
    except BaseException:
        session.rollback()
        raise
    finally:
        release(session, holder)
        session.commit()
    return True


class LeaseLost(RuntimeError):
    """The lease lapsed (a step took longer than LEASE) and another worker took it, or this
    process is exiting."""


_running = threading.Lock()
_exiting = threading.Event()
_last_check = 0.0
EXIT_WAIT = 15.0  # seconds an exiting process waits for its thread to give the lease back


@atexit.register
def _stop_at_exit() -> None:
    """A worker process that exits (a restart, a deploy; gunicorn exits through sys.exit) while
    its thread holds the lease would otherwise leave the lease to lapse, and indexing on every
    server would wait up to LEASE for it. The thread is a daemon and would die mid-step: it is
    told to stop at its next step instead, rolls back what that step had not committed (a
    segment left "building" is deleted by the next holder) and releases the lease."""
    _exiting.set()
    if _running.acquire(timeout=EXIT_WAIT):
        _running.release()


def keep_up(app: Flask, sessions: scoped_session, keyring: Keyring, alive: Callable[[Session], bool]) -> None:
    """Called at each staff request of an unlocked session (`sessions` is the app's scoped
    session). A few waiting documents (submissions and records together) are indexed in the
    request; anything more (a backlog,
    merges, a rotation) is handed to a background thread of this process, unless one already
    runs. With SEARCH_WORK_INLINE (tests), everything is done in the request."""
    global _last_check
    if not keyring:
        return
    session = sessions()
    if app.config.get("SEARCH_WORK_INLINE"):
        run(session, keyring)
        return
    pending = sum(corpus.pending_count(session) for corpus in CORPORA)
    now = time.monotonic()
    if not pending and now - _last_check < CHECK_EVERY:
        return
    _last_check = now
    if 0 < pending <= INLINE_LIMIT:
        run(session, keyring, index_only=True)
    if work_due(session) and _running.acquire(blocking=False):
        threading.Thread(target=_background, args=(app, sessions, Keyring(dict(keyring.keys)), alive),
                         name="moksori-search", daemon=True).start()


def _background(app: Flask, sessions: scoped_session, keyring: Keyring, alive: Callable[[Session], bool]) -> None:
    try:
        with app.app_context():  # the scoped session gives this thread a session of its own
            session = sessions()
            try:
                run(session, keyring, seconds=600, alive=lambda: alive(session))
            except Exception:
                log.exception("search index worker stopped")
            finally:
                sessions.remove()
    finally:
        keyring.keys.clear()
        _running.release()
