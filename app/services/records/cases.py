"""Cases (사안): submissions and records gathered for one line of accountability work, with a
lead officer, a status, sealed notes and a timeline (app/services/records/timeline.py).

Every change is checked first and made after, records one audit event and leaves the commit
to the caller; a refusal is a CaseError with a reason code. The audit log names the case, the
submission or record by public id and the status by code: never a title, summary or note,
which are sealed (app/sealed/records.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import vocabularies as v
from app.models import (
    Case,
    CaseNote,
    Category,
    Record,
    Submission,
    User,
    case_record,
    case_submission,
    submission_category,
)
from app.models.base import rows_affected, utcnow
from app.sealed import records as sealed
from app.sealed.keys import Keyring
from app.services import audit
from app.services.refusal import Refused

MAX_TITLE = 200
MAX_SUMMARY = 20_000
MAX_NOTE = 20_000
LIST_LIMIT = 500
CLOSED = "closed"


class CaseError(Refused):
    """reason: "title_required", "too_long", "choice", "lead", "stale", "no_submission",
    "no_record", "empty"; `field` names the form field the refusal is about."""

    def __init__(self, reason: str, field: str | None = None):
        super().__init__(reason)
        self.field = field


@dataclass
class CaseInput:
    title: str
    summary: str = ""
    status: str = "open"
    lead_id: int | None = None


@dataclass
class CaseRow:
    """One line of the case list: the case (opened) and how much it gathers."""

    case: Case
    submissions: int
    records: int


def _actor(user: User | None) -> str:
    return f"user:{user.id}" if user is not None else "cli"


def _content(session: Session, data: CaseInput, current_lead: int | None = None) -> dict:
    title = data.title.strip()
    if not title:
        raise CaseError("title_required", "title")
    if len(title) > MAX_TITLE:
        raise CaseError("too_long", "title")
    if len(data.summary) > MAX_SUMMARY:
        raise CaseError("too_long", "summary")
    if data.status not in {code for code, _ in v.CASE_STATUSES}:
        raise CaseError("choice", "status")
    if data.lead_id is not None and data.lead_id != current_lead:  # a lead since deactivated may stay
        lead = session.get(User, data.lead_id)
        if lead is None or not lead.active:
            raise CaseError("lead", "lead")
    return {"title": title, "summary": data.summary.strip()}


def create(session: Session, user: User | None, data: CaseInput) -> Case:
    content = _content(session, data)
    case = Case(public_id=sealed.new_public_id("case"), status=data.status, lead_id=data.lead_id)
    sealed.seal_new(session, case, content)
    session.add(case)
    session.flush()
    audit.record(session, _actor(user), "case.created", "case", case.public_id,
                 {"status": case.status, "lead": case.lead_id})
    return case


def update(session: Session, user: User, keyring: Keyring, case: Case, data: CaseInput,
           expected_version: int | None) -> Case:
    """Change a case from a page of version `expected_version`; an older page is refused as
    "stale" (someone else changed the case since) instead of overwriting their work."""
    if expected_version is not None and expected_version != case.version:
        raise CaseError("stale")
    content = _content(session, data, case.lead_id)
    sealed.open_content(keyring, case)
    changed = [name for name in ("title", "summary") if content[name] != getattr(case, name)]
    changed += [name for name, old, new in (("status", case.status, data.status), ("lead", case.lead_id, data.lead_id))
                if old != new]
    if not changed:
        return case
    if "title" in changed or "summary" in changed:
        sealed.rewrite(keyring, case, content)
    case.status, case.lead_id = data.status, data.lead_id
    case.updated_at = utcnow()
    audit.record(session, _actor(user), "case.changed", "case", case.public_id,
                 {"fields": changed, "status": case.status, "lead": case.lead_id})
    return case


def find(session: Session, public_id: str) -> Case | None:
    return session.scalar(sa.select(Case).where(Case.public_id == public_id.strip().upper()))


def _touch(session: Session, case: Case) -> None:
    """What a case gathers changed: the list sorts it first. A plain UPDATE, so the version an
    open edit form carries stays valid (adding a submission does not make a title edit stale)."""
    session.execute(sa.update(Case).where(Case.id == case.id).values(updated_at=utcnow())
                    .execution_options(synchronize_session=False))
    session.expire(case, ["submissions", "records", "updated_at"])


def add_submission(session: Session, user: User, case: Case, public_id: str) -> Submission:
    item = session.scalar(sa.select(Submission).where(Submission.public_id == public_id.strip().upper()))
    if item is None:
        raise CaseError("no_submission", "submission")
    present = session.scalar(sa.select(case_submission.c.case_id).where(
        case_submission.c.case_id == case.id, case_submission.c.submission_id == item.id))
    if present is None:
        session.execute(case_submission.insert().values(case_id=case.id, submission_id=item.id, added_at=utcnow()))
        _touch(session, case)
        audit.record(session, _actor(user), "case.submission_added", "case", case.public_id,
                     {"submission": item.public_id})
    return item


def remove_submission(session: Session, user: User, case: Case, public_id: str) -> None:
    item = session.scalar(sa.select(Submission).where(Submission.public_id == public_id.strip().upper()))
    if item is None:
        raise CaseError("no_submission", "submission")
    removed = session.execute(case_submission.delete().where(
        case_submission.c.case_id == case.id, case_submission.c.submission_id == item.id))
    if rows_affected(removed):
        _touch(session, case)
        audit.record(session, _actor(user), "case.submission_removed", "case", case.public_id,
                     {"submission": item.public_id})


def _record(session: Session, public_id: str) -> Record:
    record = session.scalar(sa.select(Record).where(Record.public_id == public_id.strip().upper()))
    if record is None:
        raise CaseError("no_record", "record")
    return record


def add_record(session: Session, user: User, case: Case, public_id: str) -> Record:
    record = _record(session, public_id)
    present = session.scalar(sa.select(case_record.c.case_id).where(
        case_record.c.case_id == case.id, case_record.c.record_id == record.id))
    if present is None:
        session.execute(case_record.insert().values(case_id=case.id, record_id=record.id, added_at=utcnow()))
        _touch(session, case)
        audit.record(session, _actor(user), "case.record_added", "case", case.public_id,
                     {"record": record.public_id, "kind": record.kind})
    return record


def remove_record(session: Session, user: User, case: Case, public_id: str) -> None:
    record = _record(session, public_id)
    removed = session.execute(case_record.delete().where(
        case_record.c.case_id == case.id, case_record.c.record_id == record.id))
    if rows_affected(removed):
        _touch(session, case)
        audit.record(session, _actor(user), "case.record_removed", "case", case.public_id,
                     {"record": record.public_id, "kind": record.kind})


def add_note(session: Session, user: User, keyring: Keyring, case: Case, body: str) -> CaseNote:
    body = body.strip()
    if not body:
        raise CaseError("empty", "body")
    if len(body) > MAX_NOTE:
        raise CaseError("too_long", "body")
    note = CaseNote(case_id=case.id, author_user_id=user.id)
    sealed.seal_case_note(session, note, body, keyring)
    _touch(session, case)
    session.expire(case, ["notes"])
    audit.record(session, _actor(user), "case.note_added", "case", case.public_id, {"note": note.id})
    return note


def notes(keyring: Keyring, case: Case) -> list[CaseNote]:
    return [sealed.open_case_note(keyring, note) for note in case.notes]


def _counts(session: Session, table: sa.Table, case_ids: list[int]) -> dict[int, int]:
    if not case_ids:
        return {}
    rows = session.execute(sa.select(table.c.case_id, sa.func.count()).where(table.c.case_id.in_(case_ids))
                           .group_by(table.c.case_id))
    return {case_id: count for case_id, count in rows}


def list_cases(session: Session, keyring: Keyring, status: str | None = None,
               lead_id: int | None = None) -> list[CaseRow]:
    """The newest-changed cases first, with their counts (two grouped queries for all of them)."""
    statement = sa.select(Case).order_by(Case.updated_at.desc(), Case.id.desc()).limit(LIST_LIMIT)
    if status:
        statement = statement.where(Case.status == status)
    if lead_id is not None:
        statement = statement.where(Case.lead_id == lead_id)
    found = sealed.open_all(keyring, list(session.scalars(statement)))
    ids = [case.id for case in found]
    submissions, records = _counts(session, case_submission, ids), _counts(session, case_record, ids)
    return [CaseRow(case, submissions.get(case.id, 0), records.get(case.id, 0)) for case in found]


@dataclass(frozen=True, slots=True)
class CategoryCode:
    code: str
    label_ko: str
    label_en: str

    def label(self, lang: str) -> str:
        return self.label_ko if lang == "ko" else self.label_en


@dataclass(slots=True)
class CaseItem:
    """What a case page shows of one of its submissions: clear codes only."""

    id: int
    public_id: str
    status: str
    when_precision: str | None
    when_date: date | None
    when_year: int | None
    when_month: int | None
    source_connection: str | None
    categories: list[CategoryCode] = field(default_factory=list)


def case_submissions(session: Session, case: Case) -> list[CaseItem]:
    """The case's submissions, oldest first, with their categories: only the clear codes the
    case page shows (not the sealed blobs of hundreds of items), in two queries, as plain
    rows: a case of hundreds of items made as many ORM objects (and the garbage collector's
    pauses) for nothing the page changes."""
    s = Submission
    items = [CaseItem(*row) for row in session.execute(
        sa.select(s.id, s.public_id, s.status, s.when_precision, s.when_date, s.when_year, s.when_month,
                  s.source_connection)
        .join(case_submission, case_submission.c.submission_id == s.id)
        .where(case_submission.c.case_id == case.id).order_by(s.id))]
    by_id = {item.id: item for item in items}
    if by_id:
        in_case = sa.select(case_submission.c.submission_id).where(case_submission.c.case_id == case.id)
        for submission_id, code, label_ko, label_en in session.execute(
                sa.select(submission_category.c.submission_id, Category.code, Category.label_ko, Category.label_en)
                .join(Category, Category.id == submission_category.c.category_id)
                .where(submission_category.c.submission_id.in_(in_case))
                .order_by(submission_category.c.submission_id, Category.position, Category.code)):
            by_id[submission_id].categories.append(CategoryCode(code, label_ko, label_en))
    return items


def case_records(session: Session, keyring: Keyring, case: Case) -> list[Record]:
    found = list(session.scalars(
        sa.select(Record).join(case_record, case_record.c.record_id == Record.id)
        .where(case_record.c.case_id == case.id).order_by(Record.kind, Record.id)))
    return sealed.open_all(keyring, found)


def cases_of(session: Session, keyring: Keyring, item: Submission) -> list[Case]:
    found = list(session.scalars(
        sa.select(Case).join(case_submission, case_submission.c.case_id == Case.id)
        .where(case_submission.c.submission_id == item.id).order_by(Case.id)))
    return sealed.open_all(keyring, found)


def open_cases(session: Session, keyring: Keyring, excluding: list[Case] | None = None,
               limit: int = LIST_LIMIT) -> list[Case]:
    """Cases an item can still be added to (not closed), newest-changed first. Each is opened
    (its title), a key unsealed each: the item page asks for a few, not hundreds."""
    statement = (sa.select(Case).where(Case.status != CLOSED)
                 .order_by(Case.updated_at.desc(), Case.id.desc()).limit(limit))
    if excluding:
        statement = statement.where(Case.id.not_in([case.id for case in excluding]))
    return sealed.open_all(keyring, list(session.scalars(statement)))
