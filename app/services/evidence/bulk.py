"""Bulk export of the filtered queue as CSV or JSON, for analysis in other tools.

No contact details and no file contents: one row per item with its codes, Korean and English
labels, dates and counts. The CSV starts with a BOM so that Korean Excel reads it as UTF-8
(KOREAN.md §3.4), and any cell a spreadsheet would run as a formula is defused.
Rows are read in batches of BATCH ids (keyset), each in its own short transaction.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.facets import FACETS
from app.models import Attachment, Message, Submission
from app.sealed import vault
from app.services.evidence.content import label_tables
from app.services.spreadsheet import csv_cell
from app.services.triage.stats import queue_selection, within

BATCH = 500
FORMAT = "moksori-queue-export/1"
# The report's facets take their place in the middle, in the order of app/facets.py.
COLUMNS = [
    "public_id", "kind", "status", "status_ko", "status_en", "status_reason", "priority", "violation_status",
    "reliability", "received_at", "last_changed_at", "language", "categories", "categories_ko", "categories_en",
    *(column for facet in FACETS
      for column in ([facet.name, f"{facet.name}_ko", f"{facet.name}_en"] if facet.labels_in_export else [facet.name])),
    "contact_topic", "consent_un", "consent_accountability", "consent_publication", "duplicate_of", "evidence_hold",
    "attachments", "messages", "first_response_at", "narrative",
]


def count(session: Session, filters) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Submission)
                          .where(within(Submission.id, queue_selection(session, filters)))) or 0


def _local(value: datetime | None, tz: ZoneInfo) -> str | None:
    return value.astimezone(tz).isoformat(timespec="seconds") if value else None


def _batches(session_factory, filters) -> Iterator[tuple[list[Submission], dict, dict, dict]]:
    last = 0
    with session_factory() as session:
        selection = queue_selection(session, filters)
        while True:
            rows = list(session.scalars(sa.select(Submission)
                                        .where(within(Submission.id, selection), Submission.id > last)
                                        .options(selectinload(Submission.duplicate_of))
                                        .order_by(Submission.id).limit(BATCH)))
            if not rows:
                return
            for row in rows:  # the account, text facets and reason are sealed: opened row by row
                vault.open_for_staff(filters.keyring, row)
            ids = [row.id for row in rows]
            files = dict(session.execute(sa.select(Attachment.submission_id, sa.func.count())
                                         .where(Attachment.submission_id.in_(ids)).group_by(Attachment.submission_id)).all())
            messages = dict(session.execute(sa.select(Message.submission_id, sa.func.count())
                                            .where(Message.submission_id.in_(ids)).group_by(Message.submission_id)).all())
            first = dict(session.execute(sa.select(Message.submission_id, sa.func.min(Message.created_at))
                                         .where(Message.submission_id.in_(ids), Message.author == "staff")
                                         .group_by(Message.submission_id)).all())
            yield rows, files, messages, first
            last = ids[-1]
            session.rollback()  # a short transaction per batch, not one across the download


def _facet_cells(item: Submission, labels: dict) -> dict:
    cells = {}
    for facet in FACETS:
        value = getattr(item, facet.name)
        cells[facet.name] = value.isoformat() if isinstance(value, date) else value
        if facet.labels_in_export:
            for lang in ("ko", "en"):
                cells[f"{facet.name}_{lang}"] = None if value is None else labels[lang][facet.name].get(value, value)
    return cells


def _record(item: Submission, labels: dict, tz: ZoneInfo, files: int, messages: int, first) -> dict:
    status = {f"status_{lang}": labels[lang]["status"].get(item.status, item.status) for lang in ("ko", "en")}
    return {
        "public_id": item.public_id, "kind": item.kind, "status": item.status, **status,
        "status_reason": item.status_reason, "priority": item.priority,
        "violation_status": item.violation_status, "reliability": item.reliability,
        "received_at": _local(item.created_at, tz), "last_changed_at": _local(item.updated_at, tz),
        "language": item.locale, "categories": [c.code for c in item.categories],
        "categories_ko": [c.label_ko for c in item.categories], "categories_en": [c.label_en for c in item.categories],
        **_facet_cells(item, labels),
        "contact_topic": item.contact_topic, "consent_un": item.consent_un,
        "consent_accountability": item.consent_accountability, "consent_publication": item.consent_publication,
        "duplicate_of": item.duplicate_of.public_id if item.duplicate_of else None,
        "evidence_hold": item.evidence_hold, "attachments": files, "messages": messages,
        "first_response_at": _local(first, tz), "narrative": item.narrative,
    }


def records(session_factory, filters, timezone: str) -> Iterator[dict]:
    labels, tz = label_tables(), ZoneInfo(timezone)
    for rows, files, messages, first in _batches(session_factory, filters):
        for item in rows:
            yield _record(item, labels, tz, files.get(item.id, 0), messages.get(item.id, 0), first.get(item.id))


def stream_csv(session_factory, filters, timezone: str) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for record in records(session_factory, filters, timezone):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_cell(record[name]) for name in COLUMNS])
        yield buffer.getvalue().encode("utf-8")


def stream_json(session_factory, filters, timezone: str, exported_at: datetime) -> Iterator[bytes]:
    head = {"format": FORMAT, "exported_at": exported_at.isoformat(), "columns": COLUMNS}
    yield (json.dumps(head, ensure_ascii=False)[:-1] + ', "items": [\n').encode()
    for number, record in enumerate(records(session_factory, filters, timezone)):
        yield ((",\n" if number else "") + json.dumps(record, ensure_ascii=False)).encode()
    yield b"\n]}\n"
