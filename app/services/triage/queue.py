"""The staff queue: filters, sort orders with keyset pagination, counts per status, search
excerpts and bulk actions.

Keyset, never OFFSET: a page is "the next PAGE_SIZE rows after this one" in the sort order,
an index range scan that costs the same on page 1 and on page 2,000. The priority order is
walked bucket by bucket (urgent, high, normal, low, not set), each bucket newest first on the
(priority, created_at, id) index, so it needs no computed sort key either.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.exc import StaleDataError

from app.models import Attachment, Category, Message, Note, Submission, User, submission_category
from app.sealed import search, vault
from app.sealed.keys import Keyring
from app.services.intake.reports import find_by_public_id
from app.services.triage import actions
from app.vocabularies import STATUSES

PAGE_SIZE = 50
SORTS = ("newest", "oldest", "updated", "priority")
PRIORITY_BUCKETS = ("urgent", "high", "normal", "low", None)
MAX_BULK = 200
COUNT_LIMIT = 1000  # a filtered count stops here ("more than 1,000")
# Each status of the whole queue is counted up to here ("10,000+"): an exact count of every item
# grows with the queue (110 ms of a 1,000,000-item queue's page, bench/README.md).
STATUS_COUNT_LIMIT = 10_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"^(\d{1,2})\.(-?\d{1,20})\.(\d{1,12})$")


@dataclass
class QueueFilters:
    """Validated filter state (the staff form turns the query string into this)."""

    viewer_id: int | None = None
    status: str | None = None
    kind: str | None = None
    category_ids: list[int] | None = None
    priority: str | None = None  # a code, or "none" for not set
    assignee: str = "any"  # "any", "mine", "unassigned" or a user id
    locale: str | None = None
    province: str | None = None
    group_id: int | None = None  # a partner group's submissions (issue 23)
    received_from: datetime | None = None  # inclusive, UTC
    received_until: datetime | None = None  # exclusive, UTC
    files: str | None = None  # "with" or "without"
    unread: bool = False
    query: search.Query = field(default_factory=search.Query)
    # The viewer's unlocked keys: the sealed index is read with them, excerpts opened with them.
    keyring: Keyring = field(default_factory=Keyring)
    # The ids the query matches, found once per request (search.find), and the WHERE clause
    # for them, reused by every query of the page.
    hits: np.ndarray | None = None
    hits_clause: sa.ColumnElement[bool] | None = None
    sort: str = "newest"
    after: str | None = None  # cursor of the last row of the previous page
    before: str | None = None  # cursor of the first row of the next page (going back)


@dataclass
class QueueRow:
    item: Submission
    files: int = 0
    excerpt: tuple[str, str, str] | None = None
    excerpt_source: str | None = None  # "account", "note" or "message"


@dataclass
class QueuePage:
    rows: list[QueueRow] = field(default_factory=list)
    next_cursor: str | None = None
    prev_cursor: str | None = None


def category_ids(session: Session, code: str) -> list[int]:
    """The category and, for a top-level one, all its sub-types."""
    parent = session.scalar(sa.select(Category).where(Category.code == code))
    if parent is None:
        return []
    return [parent.id, *session.scalars(sa.select(Category.id).where(Category.parent_id == parent.id))]


def _member(dialect: str, column, condition=None, counting: bool = False):
    """Submissions that have a row in `column`'s table (categories, files).

    A page walks the sort order's index and stops after PAGE_SIZE rows, so it probes each row
    (EXISTS). A count visits every row, so it builds the set once (IN); on SQLite as "id + 0",
    or SQLite would look up and sort every id of the set instead of scanning its covering index."""
    if counting:
        ids = sa.select(column) if condition is None else sa.select(column).where(condition)
        return (Submission.id + 0 if dialect == "sqlite" else Submission.id).in_(ids)
    probe = sa.exists().where(column == Submission.id)
    return probe if condition is None else probe.where(condition)


def conditions(session: Session, f: QueueFilters, counting: bool = False) -> list:
    s, dialect = Submission, session.get_bind().dialect.name
    where = []
    if f.status and not counting:  # counts are per status: the status filter does not apply
        where.append(s.status == f.status)
    for column, value in ((s.kind, f.kind), (s.locale, f.locale), (s.province, f.province)):
        if value:
            where.append(column == value)
    if f.group_id is not None:
        where.append(s.group_id == f.group_id)
    if f.priority:
        where.append(s.priority.is_(None) if f.priority == "none" else s.priority == f.priority)
    if f.assignee == "mine":
        where.append(s.assignee_id == f.viewer_id)
    elif f.assignee == "unassigned":
        where.append(s.assignee_id.is_(None))
    elif f.assignee.isdigit():
        where.append(s.assignee_id == int(f.assignee))
    if f.category_ids is not None:
        where.append(_member(dialect, submission_category.c.submission_id,
                             submission_category.c.category_id.in_(f.category_ids or [-1]), counting))
    if f.received_from:
        where.append(s.created_at >= f.received_from)
    if f.received_until:
        where.append(s.created_at < f.received_until)
    if f.files:
        has = _member(dialect, Attachment.submission_id, counting=counting)
        where.append(has if f.files == "with" else ~has)
    if f.unread:
        where.append(s.last_submitter_activity_at.is_not(None))
        where.append(sa.or_(s.staff_viewed_at.is_(None), s.last_submitter_activity_at > s.staff_viewed_at))
    if f.query:
        if f.hits is None:
            f.hits = search.find(session, f.query, f.keyring)
        if f.hits_clause is None:
            f.hits_clause = search.membership(session, s.id, f.hits)
        where.append(f.hits_clause)
    return where


# --- sort orders and cursors -----------------------------------------------------------------

def _segments(sort: str) -> list[tuple[sa.ColumnElement[bool] | None, InstrumentedAttribute[datetime], bool]]:
    """(bucket condition, key column, descending) for each consecutive stretch of the order."""
    s = Submission
    if sort == "priority":
        return [(s.priority.is_(None) if p is None else s.priority == p, s.created_at, True) for p in PRIORITY_BUCKETS]
    column = s.updated_at if sort == "updated" else s.created_at
    return [(None, column, sort != "oldest")]


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _cursor(segment: int, item: Submission, sort: str) -> str:
    moment = item.updated_at if sort == "updated" else item.created_at
    return f"{segment}.{_micros(moment)}.{item.id}"


def parse_cursor(raw: str | None, sort: str) -> tuple[int, datetime, int] | None:
    """A cursor from the query string; anything malformed means "from the start"."""
    match = _CURSOR.match(raw or "")
    if not match or int(match.group(1)) >= len(_segments(sort)):
        return None
    try:
        moment = _EPOCH + timedelta(microseconds=int(match.group(2)))
    except OverflowError:
        return None
    return int(match.group(1)), moment, int(match.group(3))


def _segment_of(item: Submission, sort: str) -> int:
    return PRIORITY_BUCKETS.index(item.priority if item.priority in PRIORITY_BUCKETS else None) \
        if sort == "priority" else 0


def _walk(session: Session, where: list, sort: str, cursor, backwards: bool, limit: int) -> list[Submission]:
    """Up to `limit` rows after (or before) the cursor, crossing into following segments."""
    segments = _segments(sort)
    start = cursor[0] if cursor else (len(segments) - 1 if backwards else 0)
    order = range(start, -1, -1) if backwards else range(start, len(segments))
    rows: list[Submission] = []
    for index in order:
        bucket, column, descending = segments[index]
        query = sa.select(Submission).where(*where)
        if bucket is not None:
            query = query.where(bucket)
        forward_desc = descending != backwards
        if cursor and index == cursor[0]:
            key = sa.tuple_(column, Submission.id)
            query = query.where(key < (cursor[1], cursor[2]) if forward_desc else key > (cursor[1], cursor[2]))
        ordering = (column.desc(), Submission.id.desc()) if forward_desc else (column.asc(), Submission.id.asc())
        rows += session.scalars(query.order_by(*ordering).limit(limit - len(rows))).all()
        if len(rows) >= limit:
            break
    return rows


def _without_parallel_workers(session: Session) -> None:
    """PostgreSQL: a queue page or a capped count reads a few thousand index entries at most;
    starting parallel workers for it costs more (about 5 ms of a 7 ms page query) than it
    saves, and on a small machine they compete with the other requests' threads. (The
    opt-in exact count runs without them too: it stays one request's worth of CPU.)"""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL max_parallel_workers_per_gather = 0"))


def queue_page(session: Session, filters: QueueFilters) -> QueuePage:
    _without_parallel_workers(session)
    where = conditions(session, filters)
    sort = filters.sort if filters.sort in SORTS else "newest"
    before = parse_cursor(filters.before, sort)
    cursor = before or parse_cursor(filters.after, sort)
    with search.walking_the_sort_order(session, filters.hits):
        rows = _walk(session, where, sort, cursor, bool(before), PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if before:
        rows.reverse()
    page = QueuePage([QueueRow(item) for item in rows])
    if rows:
        first, last = rows[0], rows[-1]
        if more or before:  # going back, the page we came from is still ahead
            page.next_cursor = _cursor(_segment_of(last, sort), last, sort)
        if (more if before else cursor is not None):
            page.prev_cursor = _cursor(_segment_of(first, sort), first, sort)
    _decorate(session, page, filters.query, filters.keyring)
    return page


def _decorate(session: Session, page: QueuePage, query: search.Query, keyring: Keyring) -> None:
    """File counts for the page's rows and, when searching, where the words were found: only
    the rows shown are opened, and their notes and messages only if the account has no hit."""
    ids = [row.item.id for row in page.rows]
    if not ids:
        return
    counts = dict(session.execute(sa.select(Attachment.submission_id, sa.func.count())
                                  .where(Attachment.submission_id.in_(ids)).group_by(Attachment.submission_id))
                  .tuples().all())
    for row in page.rows:
        row.files = counts.get(row.item.id, 0)
    if not query or not keyring:
        return
    keys = {row.item.id: vault.open_for_staff(keyring, row.item) for row in page.rows}
    for row in page.rows:
        row.excerpt, row.excerpt_source = excerpt(row.item.narrative, query), "account"
    missing = {row.item.id: row for row in page.rows if row.excerpt is None}
    notes = session.scalars(sa.select(Note).where(Note.submission_id.in_(list(missing))).order_by(Note.id))
    texts: list[tuple[int, str, str]] = [
        (note.submission_id, "note", vault.open_note(note, keyring).body) for note in notes]
    messages = session.scalars(sa.select(Message).where(Message.submission_id.in_(list(missing))).order_by(Message.id))
    texts += [(message.submission_id, "message", vault.open_message(message, keys[message.submission_id]).body)
              for message in messages]
    for submission_id, source, body in texts:
        waiting = missing.get(submission_id)
        if waiting is not None and (found := excerpt(body, query)):
            waiting.excerpt, waiting.excerpt_source = found, source
            del missing[submission_id]


def excerpt(text: str | None, query: search.Query, width: int = 70) -> tuple[str, str, str] | None:
    """(before, match, after) around the first search term found in text, for highlighting."""
    folded = (text or "").casefold()
    hits = sorted((at, term.text) for term in query.terms if (at := folded.find(term.text.casefold())) >= 0)
    if not hits or text is None:  # (hits are found only in a text)
        return None
    at, term = hits[0]
    start, end = max(0, at - width // 2), min(len(text), at + len(term) + width)
    return (("…" if start else "") + text[start:at], text[at:at + len(term)],
            text[at + len(term):end] + ("…" if end < len(text) else ""))


@dataclass
class StatusCounts:
    """How many items each status has under the current filters (the status filter aside).

    `complete` is False when a filtered count stopped at COUNT_LIMIT: more items match than
    that, and `by_status` is empty because the split was not counted. `capped` names the
    statuses of the whole queue counted only up to STATUS_COUNT_LIMIT (shown as "10,000+")."""

    by_status: dict[str, int] = field(default_factory=dict)
    complete: bool = True
    capped: frozenset[str] = frozenset()

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def status_counts(session: Session, filters: QueueFilters, exact: bool = False) -> StatusCounts:
    """Counts per status. Unless `exact` is asked for, no count reads more than a bounded part of
    an index, so the queue stays about as fast at 1,000,000 items as at 1,000: the whole queue
    counts each status up to STATUS_COUNT_LIMIT in the narrow (status, id) index; a filtered
    count stops once more than COUNT_LIMIT items match (counting every match of a broad search
    or a category reads one row per match, 30–50 ms at 100,000 submissions)."""
    _without_parallel_workers(session)
    where = conditions(session, filters, counting=True)
    if exact:
        query = sa.select(Submission.status, sa.func.count()).where(*where).group_by(Submission.status)
        return StatusCounts(dict(session.execute(query).tuples().all()))
    if not where:
        return _whole_queue_counts(session)
    first = sa.select(Submission.status).where(*where).limit(COUNT_LIMIT + 1).subquery()
    found = dict(session.execute(sa.select(first.c.status, sa.func.count()).group_by(first.c.status)).tuples().all())
    if sum(found.values()) > COUNT_LIMIT:
        return StatusCounts(complete=False)
    return StatusCounts(found)


def _whole_queue_counts(session: Session) -> StatusCounts:
    """Each status counted in its own stretch of the (status, id) index, up to the limit."""
    parts = [
        sa.select(sa.literal(code).label("status"), sa.func.count().label("found")).select_from(
            sa.select(Submission.id).where(Submission.status == code).limit(STATUS_COUNT_LIMIT + 1).subquery())
        for code, _label in STATUSES
    ]
    found = {code: count for code, count in session.execute(sa.union_all(*parts)) if count}
    capped = frozenset(code for code, count in found.items() if count > STATUS_COUNT_LIMIT)
    return StatusCounts({code: min(count, STATUS_COUNT_LIMIT) for code, count in found.items()}, capped=capped)


# --- bulk actions ----------------------------------------------------------------------------

@dataclass
class BulkOutcome:
    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (public id, TriageError reason)
    statuses: dict[str, str] = field(default_factory=dict)  # public id -> status, for "transition"


def bulk_apply(session: Session, items: Sequence[tuple[str, int | None]],
               change: Callable[[Submission], None]) -> BulkOutcome:
    """Apply one triage change to each item in its own transaction: a refused item is reported
    and the others proceed. `items` are (public id, version the officer saw)."""
    outcome = BulkOutcome()
    for public_id, version in items[:MAX_BULK]:
        item = find_by_public_id(session, public_id)
        if item is None:
            outcome.refused.append((public_id, "missing"))
            continue
        try:
            actions.check_version(item, version)
            change(item)
            session.commit()
            outcome.done.append(public_id)
        except actions.TriageError as refused:
            session.rollback()
            outcome.refused.append((public_id, refused.reason))
            if refused.status:
                outcome.statuses[public_id] = refused.status
        except StaleDataError:  # changed between our read and our write
            session.rollback()
            outcome.refused.append((public_id, "stale"))
    return outcome


def assignable_users(session: Session) -> list[User]:
    return list(session.scalars(sa.select(User).where(User.active.is_(True)).order_by(User.name, User.id)))
