"""Numbers for the staff dashboard, over the items the queue's filters select.

Everything is counted in SQL (`count`) into plain numbers (`Counts`), which `dashboard_of` then
labels in the page's language: so the numbers for every item can be counted in the background
and kept (snapshot.py) while filtered views are counted per request. Months are cut in the
configured time zone (a report sent at 08:00 on 1 March in Seoul belongs to March).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, aliased

from app import vocabularies as v
from app.models import Category, Message, Record, RecordLink, Submission, submission_category
from app.services.triage import queue

MAX_MONTHS = 36
NONE_KEY = "none"
# Time to first response: the staff message that came first, counted from receipt.
RESPONSE_BUCKETS = [
    ("lt1d", timedelta(days=1), _l("Within a day")),
    ("1-3d", timedelta(days=3), _l("1 to 3 days")),
    ("3-7d", timedelta(days=7), _l("3 to 7 days")),
    ("7-30d", timedelta(days=30), _l("7 to 30 days")),
    ("gt30d", None, _l("More than 30 days")),
]
MONTH_PATTERNS = {"ko": "y년 M월", "en": "MMM y"}
# Corroborated events: an event needs this many independent sources to be counted.
MIN_SOURCES = 2
DUPLICATE_DEPTH = 50  # a chain of duplicate marks is followed at most this far (each step is a query)
# Year × province: (when_year or None, place's province or None).
YearProvince = tuple[int | None, str | None]


@dataclass
class Bar:
    key: str
    label: str
    value: int


@dataclass
class Counts:
    """The dashboard's numbers before any label: by status and by province (None: not given),
    by top-level category code and without a category, per local month, per response bucket,
    and the median hours to a first response."""

    by_status: dict[str | None, int] = field(default_factory=dict)
    by_province: dict[str | None, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    uncoded: int = 0
    months: dict[tuple[int, int], int] = field(default_factory=dict)
    response: dict[str, int] = field(default_factory=dict)
    median_response_hours: float | None = None
    corroborated: dict[YearProvince, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())  # every item has a status

    def to_json(self) -> dict:
        return {"by_status": list(self.by_status.items()), "by_province": list(self.by_province.items()),
                "by_category": self.by_category, "uncoded": self.uncoded,
                "months": [[year, month, n] for (year, month), n in self.months.items()],
                "response": self.response, "median_response_hours": self.median_response_hours,
                "corroborated": [[year, province, n] for (year, province), n in self.corroborated.items()]}

    @classmethod
    def from_json(cls, data: dict) -> Counts:
        return cls(by_status=dict(map(tuple, data["by_status"])), by_province=dict(map(tuple, data["by_province"])),
                   by_category=dict(data["by_category"]), uncoded=int(data["uncoded"]),
                   months={(year, month): n for year, month, n in data["months"]},
                   response=dict(data["response"]), median_response_hours=data["median_response_hours"],
                   corroborated={(year, province): n for year, province, n in data.get("corroborated", [])})


@dataclass
class Dashboard:
    total: int = 0
    months: list[Bar] = field(default_factory=list)
    categories: list[Bar] = field(default_factory=list)
    provinces: list[Bar] = field(default_factory=list)
    statuses: list[Bar] = field(default_factory=list)
    response: list[Bar] = field(default_factory=list)
    median_response_hours: float | None = None
    corroborated: Corroboration | None = None


@dataclass
class Corroboration:
    """Corroborated events as a table: a row per year (oldest first, "year unknown" last), a
    column per province that occurs (the vocabulary's order, "place unknown" last); `years`
    are the rows' totals, which the bar chart draws."""

    provinces: list[Bar]  # key and label of each column; value: the column's total
    years: list[Bar]  # key and label of each row; value: the row's total
    cells: dict[tuple[str, str], int]  # (year key, province key) -> events
    total: int


def queue_selection(session: Session, filters) -> sa.Select | None:
    """The ids of the items the queue shows for `filters` (a queue.QueueFilters), all pages
    together: the queue's own conditions, so the numbers always match what the queue lists.
    None when no filter applies: every item is selected (see within())."""
    where = queue.conditions(session, filters)
    return sa.select(Submission.id).where(*where) if where else None


def within(column, selection: sa.Select | None) -> sa.ColumnElement[bool]:
    """`column` (an item's id) is among the selected items; with no filter, every item is, and
    the query reads its table alone instead of joining it to a list of every id (a third of
    the default dashboard's time at 100,000 items)."""
    return sa.true() if selection is None else column.in_(selection)


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _grouped(session: Session, column, selection: sa.Select | None) -> dict:
    query = sa.select(column, sa.func.count()).where(within(Submission.id, selection)).group_by(column)
    return {key: count for key, count in session.execute(query)}


def _month_counts(session: Session, selection: sa.Select | None, tz: ZoneInfo) -> dict[tuple[int, int], int]:
    """Items per month of the configured time zone, counted in SQL: reading one timestamp per
    item into Python took 0.8 s at 100,000 items (bench/README.md)."""
    if _postgres(session):
        month = sa.func.date_trunc("month", sa.func.timezone(tz.key, Submission.created_at))
        query = sa.select(month, sa.func.count()).where(within(Submission.id, selection)).group_by(month)
        return {(start.year, start.month): n for start, n in session.execute(query)}
    # SQLite knows no time zones: it counts per UTC hour (at most 8,784 rows a year) and each
    # hour goes to its local month here. Exact wherever the zone's offset is whole hours, as
    # Korea's has been since 1961; in a half-hour zone, the half hour at a month's edge could
    # be counted in the month beside it.
    hour = sa.func.strftime("%Y-%m-%d %H", Submission.created_at)
    query = sa.select(hour, sa.func.count()).where(within(Submission.id, selection)).group_by(hour)
    counts: dict[tuple[int, int], int] = {}
    for start, n in session.execute(query):
        local = datetime.strptime(start, "%Y-%m-%d %H").replace(tzinfo=UTC).astimezone(tz)
        counts[(local.year, local.month)] = counts.get((local.year, local.month), 0) + n
    return counts


def _month_bars(counts: dict[tuple[int, int], int], lang: str) -> list[Bar]:
    if not counts:
        return []
    (year, month), last = min(counts), max(counts)
    bars = []
    while (year, month) <= last:  # every month in the range, empty ones included
        label = format_date(date(year, month, 1), MONTH_PATTERNS.get(lang, "MMM y"), locale=lang)
        bars.append(Bar(f"{year:04d}-{month:02d}", label, counts.get((year, month), 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return bars[-MAX_MONTHS:]


def _category_counts(session: Session, selection: sa.Select | None) -> tuple[dict[str, int], int]:
    """Items per top-level category code, and items without any category."""
    parent = aliased(Category)
    top = sa.func.coalesce(parent.code, Category.code)
    query = (
        sa.select(top, sa.func.count(sa.distinct(submission_category.c.submission_id)))
        .select_from(submission_category)
        .join(Category, Category.id == submission_category.c.category_id)
        .outerjoin(parent, parent.id == Category.parent_id)
        .where(within(submission_category.c.submission_id, selection))
        .group_by(top)
    )
    counts = dict(session.execute(query).tuples().all())
    uncoded = session.scalar(
        sa.select(sa.func.count()).select_from(Submission).where(
            within(Submission.id, selection),
            ~sa.exists().where(submission_category.c.submission_id == Submission.id),
        )
    )
    return counts, uncoded or 0


def _category_bars(session: Session, counts: dict[str, int], uncoded: int, lang: str) -> list[Bar]:
    groups = session.scalars(
        sa.select(Category).where(Category.parent_id.is_(None)).order_by(Category.position, Category.code)
    )
    bars = [Bar(c.code, f"{c.code} {c.label(lang)}", counts.get(c.code, 0)) for c in groups]
    return [*bars, Bar(NONE_KEY, str(_l("No category")), uncoded)]


def _vocabulary_bars(counts: dict, vocabulary, keep_zero: bool, none_label) -> list[Bar]:
    bars = [Bar(code, str(label), counts.get(code, 0)) for code, label in vocabulary
            if keep_zero or counts.get(code)]
    known = {code for code, _ in vocabulary}
    bars += [Bar(code, code, n) for code, n in counts.items() if code is not None and code not in known]
    if counts.get(None):
        bars.append(Bar(NONE_KEY, str(none_label), counts[None]))
    return bars


def _seconds_between(session: Session, start, end) -> sa.ColumnElement:
    if _postgres(session):
        return sa.extract("epoch", end - start)
    return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0


def _response_counts(session: Session, selection: sa.Select | None) -> tuple[dict[str, int], float | None]:
    """Time to first response, bucketed and its median taken in SQL: converting one pair of
    timestamps per answered item in Python was two thirds of this at 100,000 items."""
    firsts = (
        sa.select(Message.submission_id.label("id"), sa.func.min(Message.created_at).label("answered"))
        .where(Message.author == "staff", within(Message.submission_id, selection))
        .group_by(Message.submission_id)
        .subquery()
    )
    delays = (sa.select(_seconds_between(session, Submission.created_at, firsts.c.answered).label("seconds"))
              .join_from(firsts, Submission, Submission.id == firsts.c.id).subquery())
    # One pass for every bucket (and, on PostgreSQL, the median): each pass over the delays
    # repeats the grouping of every staff message.
    seconds, lower = delays.c.seconds, None
    columns: list[sa.ColumnElement] = []
    for _key, limit, _label in RESPONSE_BUCKETS:
        upper = limit.total_seconds() if limit else None
        bounds = ([seconds >= lower] if lower is not None else []) + ([seconds < upper] if upper is not None else [])
        columns.append(sa.func.count().filter(sa.and_(*bounds)))
        lower = upper
    postgres = _postgres(session)
    if postgres:
        columns.append(sa.func.percentile_cont(0.5).within_group(seconds))
    row = session.execute(sa.select(*columns)).one()
    counts = {key: row[index] for index, (key, _, _) in enumerate(RESPONSE_BUCKETS)}
    answered = sum(counts.values())
    middle = None
    if postgres and answered:
        middle = float(row[-1]) / 3600
    elif answered:  # SQLite has no percentile: the middle value, or the mean of the two middle ones
        values = session.scalars(sa.select(seconds).order_by(seconds)
                                 .offset((answered - 1) // 2).limit(2 - answered % 2)).all()
        middle = sum(float(value) for value in values) / len(values) / 3600
    return counts, middle


def _response_bars(counts: dict[str, int], total: int) -> list[Bar]:
    bars = [Bar(key, str(label), counts.get(key, 0)) for key, _, label in RESPONSE_BUCKETS]
    bars.append(Bar(NONE_KEY, str(_l("No response yet")), total - sum(counts.values())))
    return bars


def _duplicate_sources(session: Session, marks: dict[int, int]) -> dict[int, int]:
    """The source each marked duplicate counts as, from `marks` (id -> duplicate_of_id): the
    item its marks lead to, followed to the end of a chain (A marked a duplicate of B and B of
    C: both are C, as C itself is); in a loop of marks, the loop's smallest id. The originals'
    own marks are read here, a few at a time (duplicates are few)."""
    marks = dict(marks)
    read: set[int] = set(marks)
    unread = set(marks.values()) - read
    for _ in range(DUPLICATE_DEPTH):
        if not unread:
            break
        chunk = sorted(unread)
        for start in range(0, len(chunk), 500):
            marks.update((item, original) for item, original in session.execute(
                sa.select(Submission.id, Submission.duplicate_of_id)
                .where(Submission.id.in_(chunk[start:start + 500]), Submission.duplicate_of_id.is_not(None))
            ).tuples() if original is not None)
        read |= unread
        unread = {target for target in marks.values() if target not in read}
    sources: dict[int, int] = {}
    for start in list(marks):
        path, at = [start], marks[start]
        while at in marks and at not in path and len(path) < DUPLICATE_DEPTH:
            path.append(at)
            at = marks[at]
        sources[start] = min(path[path.index(at):]) if at in path else at
    return sources


def corroborated_events(session: Session, selection: sa.Select | None) -> dict[YearProvince, int]:
    """Events (records of kind "event") with at least MIN_SOURCES independent sources among the
    selected items, per the event's year and its place's province (None: not known; a place
    whose province is "I don't know" counts there too).

    An independent source is a distinct submission linked to the event (RecordLink, in any
    role); submissions joined by duplicate marks (Submission.duplicate_of_id) are one source.
    This is the definition app/services/records/corroboration.py uses for a record's count
    on the case pages: keep the two the same (they are meant to become one function).

    Only clear columns are read (links, duplicate marks, years, province codes): nothing is
    opened, so the background count can make it without keys. Counted in SQL, each item
    standing for the item it is marked a duplicate of; exact unless an original is itself
    marked a duplicate (a chain, or a loop), and then the links of the events in question come
    to Python, which follows the marks to their end."""
    counts: dict[YearProvince, int] = {}
    rows = _sql_corroborated(session, selection) if not _chained_marks(session) else _folded(session, selection)
    for year, province, n in rows:
        where = (year, None if province == "UNKNOWN" else province)
        counts[where] = counts.get(where, 0) + n
    return counts


def _chained_marks(session: Session) -> bool:
    """Whether an item is marked a duplicate of an item that is itself marked one. Only items
    of status "duplicate" carry a mark (triage/actions.py clears it with any other status):
    the (status, id) index finds them without reading every item."""
    original = aliased(Submission)
    return bool(session.scalar(sa.select(sa.exists().where(
        Submission.status == "duplicate", Submission.duplicate_of_id == original.id,
        original.duplicate_of_id.is_not(None)))))


def _sql_corroborated(session: Session, selection: sa.Select | None) -> list[tuple[int | None, str | None, int]]:
    source = sa.func.coalesce(Submission.duplicate_of_id, Submission.id)
    corroborated = (sa.select(RecordLink.record_id.label("event_id"))
                    .join(Record, Record.id == RecordLink.record_id)
                    .join(Submission, Submission.id == RecordLink.submission_id)
                    .where(Record.kind == "event", within(RecordLink.submission_id, selection))
                    .group_by(RecordLink.record_id)
                    .having(sa.func.count(sa.distinct(source)) >= MIN_SOURCES)).subquery()
    event, place = aliased(Record), aliased(Record)
    query = (sa.select(event.when_year, place.province, sa.func.count())
             .select_from(corroborated)
             .join(event, event.id == corroborated.c.event_id)
             .outerjoin(place, place.id == event.place_id)
             .group_by(event.when_year, place.province))
    return [(year, province, n) for year, province, n in session.execute(query)]


def _folded(session: Session, selection: sa.Select | None) -> list[tuple[int | None, str | None, int]]:
    """The same count with chains of duplicate marks: SQL keeps the events with at least two
    distinct linked submissions, and only their links come here."""
    place = aliased(Record)
    linked = sa.func.count(sa.distinct(RecordLink.submission_id))
    candidates = (sa.select(RecordLink.record_id)
                  .join(Record, Record.id == RecordLink.record_id)
                  .where(Record.kind == "event", within(RecordLink.submission_id, selection))
                  .group_by(RecordLink.record_id).having(linked >= MIN_SOURCES))
    rows = session.execute(
        sa.select(Record.id, Record.when_year, place.province, RecordLink.submission_id, Submission.duplicate_of_id)
        .distinct()
        .join(RecordLink, RecordLink.record_id == Record.id)
        .join(Submission, Submission.id == RecordLink.submission_id)
        .outerjoin(place, place.id == Record.place_id)
        .where(Record.id.in_(candidates), within(RecordLink.submission_id, selection))
    ).tuples().all()
    sources = _duplicate_sources(session, {item: original for *_, item, original in rows if original is not None})
    events: dict[int, tuple[tuple[int | None, str | None], set[int]]] = {}
    for event, year, province, item, _original in rows:
        events.setdefault(event, ((year, province), set()))[1].add(sources.get(item, item))
    counts: dict[tuple[int | None, str | None], int] = {}
    for where, found in events.values():
        if len(found) >= MIN_SOURCES:
            counts[where] = counts.get(where, 0) + 1
    return [(year, province, n) for (year, province), n in counts.items()]


def count(session: Session, selection: sa.Select | None, timezone: str) -> Counts:
    """Every number of the dashboard over the selected items (None: all of them)."""
    by_category, uncoded = _category_counts(session, selection)
    response, middle = _response_counts(session, selection)
    return Counts(by_status=_grouped(session, Submission.status, selection),
                  by_province=_grouped(session, Submission.province, selection),
                  by_category=by_category, uncoded=uncoded,
                  months=_month_counts(session, selection, ZoneInfo(timezone)),
                  response=response, median_response_hours=middle,
                  corroborated=corroborated_events(session, selection))


def dashboard_of(session: Session, counts: Counts, lang: str) -> Dashboard:
    """The dashboard's bars, labelled in `lang`, from its numbers."""
    return Dashboard(
        total=counts.total,
        months=_month_bars(counts.months, lang),
        categories=_category_bars(session, counts.by_category, counts.uncoded, lang),
        provinces=_vocabulary_bars(counts.by_province, v.PROVINCES, False, _l("No place given")),
        statuses=_vocabulary_bars(counts.by_status, v.STATUSES, True, _l("Not given")),
        response=_response_bars(counts.response, counts.total),
        median_response_hours=counts.median_response_hours,
        corroborated=_corroboration(counts.corroborated),
    )


def _corroboration(counts: dict[YearProvince, int]) -> Corroboration:
    known = [code for code, _ in v.PROVINCES]
    present = {province for _, province in counts}
    columns: list[str | None] = [code for code in known if code in present]
    columns += sorted(code for code in present if code is not None and code not in known)
    columns += [None] if None in present else []
    rows = sorted(year for year, _ in counts if year is not None)
    years: list[int | None] = [*dict.fromkeys(rows)] + ([None] if any(year is None for year, _ in counts) else [])

    def key(value) -> str:
        return NONE_KEY if value is None else str(value)

    cells = {(key(year), key(province)): n for (year, province), n in counts.items()}
    provinces = [Bar(key(code), str(_l("Place unknown")) if code is None else str(v.label_for(v.PROVINCES, code)),
                     sum(n for (_, province), n in counts.items() if province == code)) for code in columns]
    year_bars = [Bar(key(year), str(_l("Year unknown")) if year is None else str(year),
                     sum(n for (when, _), n in counts.items() if when == year)) for year in years]
    return Corroboration(provinces, year_bars, cells, sum(counts.values()))

