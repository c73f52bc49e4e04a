"""What the records pages list: records newest first (filtered by their clear codes, or by
the ids a sealed search found), events on a timeline, and what a record is connected to
(links from submissions, a person's events, a place's events, an event's persons).

Only clear columns are read here; the caller opens the records it shows with the officer's
keyring (app/sealed/records.py). Pages are bounded: the list walks `id` downwards with a
cursor (PAGE_SIZE rows a page), the timeline shows TIMELINE_SIZE events a page.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.models import Category, Involvement, Record, RecordLink
from app.models.records import record_category

PAGE_SIZE = 50
TIMELINE_SIZE = 100


@dataclass
class RecordFilters:
    """The list's filters; `ids` is what a search found (None: no search)."""

    kind: str | None = None
    person_role: str | None = None
    agency: str | None = None
    province: str | None = None
    facility_type: str | None = None
    category_ids: list[int] | None = None
    ids: list[int] | None = None
    after: int | None = None


@dataclass
class RecordPage:
    records: list[Record] = field(default_factory=list)
    link_counts: dict[int, int] = field(default_factory=dict)
    next_cursor: int | None = None


def _filtered(statement, filters: RecordFilters):
    for column, value in ((Record.kind, filters.kind), (Record.person_role, filters.person_role),
                          (Record.agency, filters.agency), (Record.province, filters.province),
                          (Record.facility_type, filters.facility_type)):
        if value:
            statement = statement.where(column == value)
    if filters.category_ids is not None:
        statement = statement.where(Record.id.in_(
            sa.select(record_category.c.record_id).where(record_category.c.category_id.in_(filters.category_ids))))
    if filters.ids is not None:
        statement = statement.where(Record.id.in_(filters.ids))
    return statement


def link_counts(session: Session, record_ids: list[int]) -> dict[int, int]:
    """How many links from submissions each record has (one query for a page)."""
    if not record_ids:
        return {}
    rows = session.execute(sa.select(RecordLink.record_id, sa.func.count()).where(
        RecordLink.record_id.in_(record_ids)).group_by(RecordLink.record_id))
    return {record_id: count for record_id, count in rows}


def record_page(session: Session, filters: RecordFilters) -> RecordPage:
    """One page of records, newest first; `next_cursor` is the last id shown when more follow."""
    if filters.ids == []:
        return RecordPage()
    statement = _filtered(sa.select(Record), filters).order_by(Record.id.desc()).limit(PAGE_SIZE + 1)
    if filters.after is not None:
        statement = statement.where(Record.id < filters.after)
    found = list(session.scalars(statement.options(selectinload(Record.place))))
    shown = found[:PAGE_SIZE]
    return RecordPage(shown, link_counts(session, [r.id for r in shown]),
                      shown[-1].id if len(found) > PAGE_SIZE else None)


def category_ids(session: Session, code: str) -> list[int]:
    """A category and, for a top-level one, its sub-types (an event coded V02.1 is found under V02)."""
    parent = session.scalar(sa.select(Category).where(Category.code == code))
    if parent is None:
        return []
    return [parent.id, *session.scalars(sa.select(Category.id).where(Category.parent_id == parent.id))]


def timeline(session: Session, page: int = 1) -> tuple[list[Record], bool]:
    """Events by when they happened (year, month, day; the undated last), and whether a next
    page follows. An event known to the year comes after the dated ones of that year."""
    undated = sa.case((Record.when_year.is_(None), 1), else_=0)
    no_month = sa.case((Record.when_month.is_(None), 1), else_=0)
    no_day = sa.case((Record.when_date.is_(None), 1), else_=0)
    statement = (sa.select(Record).where(Record.kind == "event")
                 .order_by(undated, Record.when_year, no_month, Record.when_month, no_day, Record.when_date, Record.id)
                 .offset((max(page, 1) - 1) * TIMELINE_SIZE).limit(TIMELINE_SIZE + 1)
                 .options(selectinload(Record.place)))
    found = list(session.scalars(statement))
    return found[:TIMELINE_SIZE], len(found) > TIMELINE_SIZE


def links_of(session: Session, record: Record) -> list[RecordLink]:
    """The submissions that are sources for the record, oldest link first."""
    return list(session.scalars(sa.select(RecordLink).where(RecordLink.record_id == record.id)
                                .order_by(RecordLink.id).options(selectinload(RecordLink.submission))))


def involvements_of(session: Session, record: Record) -> list[Involvement]:
    """An event's persons, or a person's events, with their roles."""
    column = Involvement.event_id if record.kind == "event" else Involvement.person_id
    return list(session.scalars(sa.select(Involvement).where(column == record.id).order_by(Involvement.id)
                                .options(selectinload(Involvement.event), selectinload(Involvement.person))))


def events_at(session: Session, place: Record) -> list[Record]:
    return list(session.scalars(sa.select(Record).where(Record.kind == "event", Record.place_id == place.id)
                                .order_by(Record.id.desc())))


def by_ids(session: Session, ids: list[int]) -> list[Record]:
    """The records with these ids, in the order given (a search's, newest first)."""
    found = {r.id: r for r in session.scalars(sa.select(Record).where(Record.id.in_(ids)))} if ids else {}
    return [found[i] for i in ids if i in found]


PLACE_CHOICES = 200


def places(session: Session) -> list[Record]:
    """The newest place records, for an event's "where" select (an older one is given by its
    number in the field beside it)."""
    return list(session.scalars(sa.select(Record).where(Record.kind == "place").order_by(Record.id.desc())
                                .limit(PLACE_CHOICES)))
