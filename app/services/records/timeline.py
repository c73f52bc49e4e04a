"""A case's timeline: its events (when, with the precision it is known to) and the dates its
submissions report (their when_* facets), in one chronological list.

Only clear codes are read (precision, year, month, day): an entry known to the year sorts
before the same year's months and days, and what has no date (unknown, or only a sealed
"roughly when" text) comes last, in the order it was added.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.models import Record
from app.services.records.cases import CaseItem

UNDATED = (10_000, 0, 0)


@dataclass
class Entry:
    kind: str  # "event" or "submission"
    public_id: str
    label: str  # an event's title; empty for a submission (the page shows its categories)
    when_precision: str | None
    when_date: date | None
    when_year: int | None
    when_month: int | None
    categories: list[str]
    source_connection: str | None = None
    # An event's words for a rough time (opened with it); None for a submission, whose are not opened.
    rough: str | None = None

    @property
    def sort_key(self) -> tuple[int, int, int]:
        if self.when_precision in ("approximate", "unknown"):
            return UNDATED
        if self.when_date is not None and self.when_precision in (None, "day"):
            return (self.when_date.year, self.when_date.month, self.when_date.day)
        if self.when_year is not None:
            return (self.when_year, 0 if self.when_precision == "year" else (self.when_month or 0), 0)
        return UNDATED

    @property
    def dated(self) -> bool:
        return self.sort_key != UNDATED


def _of_event(record: Record) -> Entry:
    return Entry("event", record.public_id, record.label, record.when_precision, record.when_date,
                 record.when_year, record.when_month, [c.code for c in record.categories],
                 rough=record.when_text or "")


def _of_submission(item: CaseItem) -> Entry:
    return Entry("submission", item.public_id, "", item.when_precision, item.when_date, item.when_year,
                 item.when_month, [c.code for c in item.categories], item.source_connection)


def timeline(records: list[Record], submissions: list[CaseItem]) -> list[Entry]:
    """Events of `records` (opened, for their titles) and every submission, by date; Python's
    sort is stable, so entries of the same date keep events before submissions."""
    entries = [_of_event(r) for r in records if r.kind == "event"] + [_of_submission(s) for s in submissions]
    return sorted(entries, key=lambda entry: entry.sort_key)
