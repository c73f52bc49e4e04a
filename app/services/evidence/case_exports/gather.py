"""One opened view of a case, shared by its three exports.

What a case's exports hold: the case (title, summary, notes), its submissions, the records it
gathers and the records its submissions are linked to, and — so that every reference resolves
inside the export — the places and persons those events name. Everything is opened here with
the exporting officer's keys and turned into plain data with Korean and English labels; the
formats never touch sealed values themselves.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import Session

from app import vocabularies as v
from app.models import Case, Involvement, Record, RecordLink, Submission
from app.sealed import records as sealed
from app.sealed import vault
from app.sealed.keys import Keyring
from app.services.evidence.content import HURIDOCS_ACTS, LANGS

# Why a record is in the export: the case gathers it, a submission of the case is linked to
# it, or an event in the export names it (its place, a person involved).
IN_CASE, LINKED, REFERENCED = "case", "linked", "referenced"

VOCABULARIES = {
    "person_role": v.PERSON_ROLES, "involvement_role": v.INVOLVEMENT_ROLES, "agency": v.PERPETRATOR_TYPES,
    "province": v.PROVINCES, "facility_type": v.FACILITY_TYPES, "when_precision": v.WHEN_PRECISION,
    "case_status": v.CASE_STATUSES, "source_connection": v.SOURCE_CONNECTIONS, "record_kind": v.RECORD_KINDS,
    "reliability": v.RELIABILITY, "violation_status": v.VIOLATION_STATUSES,
}


def label_tables() -> dict[str, dict[str, dict[str, str]]]:
    """{lang: {vocabulary: {code: label}}}, resolved once per export."""
    tables = {}
    for lang in LANGS:
        with force_locale(lang):
            tables[lang] = {name: {code: str(label) for code, label in vocab} for name, vocab in VOCABULARIES.items()}
    return tables


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass
class CaseData:
    case: Case
    submissions: list[Submission]
    records: list[Record]
    why: dict[int, str]
    links: list[RecordLink]
    involvements: list[Involvement]
    labels: dict = field(default_factory=dict)

    @property
    def by_id(self) -> dict[int, Record]:
        return {record.id: record for record in self.records}

    def coded(self, vocabulary: str, code: str | None) -> dict | None:
        if code in (None, ""):
            return None
        return {"code": code, **{f"label_{lang}": self.labels[lang][vocabulary].get(code, code) for lang in LANGS}}

    def of_kind(self, kind: str) -> list[Record]:
        return [record for record in self.records if record.kind == kind]


def find_case(session: Session, public_id: str) -> Case | None:
    return session.scalar(sa.select(Case).where(Case.public_id == public_id))


def _records(session: Session, ids: set[int]) -> list[Record]:
    if not ids:
        return []
    return list(session.scalars(sa.select(Record).where(Record.id.in_(ids)).order_by(Record.id)))


def load(session: Session, keyring: Keyring, case: Case) -> CaseData:
    """Open everything the case's exports hold (raises KeysError without the org key)."""
    sealed.open_content(keyring, case)
    for note in case.notes:
        sealed.open_case_note(keyring, note)
    submissions = list(case.submissions)
    for item in submissions:
        vault.open_for_staff(keyring, item)
    submission_ids = [item.id for item in submissions]
    links = list(session.scalars(sa.select(RecordLink).where(RecordLink.submission_id.in_(submission_ids))
                                 .order_by(RecordLink.id))) if submission_ids else []
    why = {record.id: IN_CASE for record in case.records}
    for link in links:
        why.setdefault(link.record_id, LINKED)
        sealed.open_passage(keyring, link)
    records = _records(session, set(why))
    events = [record.id for record in records if record.kind == "event"]
    involvements = list(session.scalars(sa.select(Involvement).where(Involvement.event_id.in_(events))
                                        .order_by(Involvement.id))) if events else []
    named = {record.place_id for record in records if record.place_id} | {i.person_id for i in involvements}
    for record_id in named - set(why):
        why[record_id] = REFERENCED
    records += _records(session, named - {record.id for record in records})
    records.sort(key=lambda record: record.id)
    sealed.open_all(keyring, records)
    return CaseData(case, submissions, records, why, links, involvements, label_tables())


def record_doc(data: CaseData, record: Record) -> dict:
    """A record as records.json and the ESF persons carry it: names, codes with labels."""
    doc: dict = {"id": record.public_id, "kind": data.coded("record_kind", record.kind),
                 "in_export_because": data.why.get(record.id)}
    if record.kind == "event":
        doc["title"] = record.title
    else:
        doc["name"] = record.name
    doc["aliases"] = record.aliases
    doc["description"] = record.description
    if record.kind == "person":
        doc["person_role"] = data.coded("person_role", record.person_role)
        doc["agency"] = data.coded("agency", record.agency)
    elif record.kind == "place":
        doc["province"] = data.coded("province", record.province)
        doc["facility_type"] = data.coded("facility_type", record.facility_type)
    else:
        doc["when"] = {"precision": data.coded("when_precision", record.when_precision), "date": iso(record.when_date),
                       "year": record.when_year, "month": record.when_month, "text": record.when_text}
        doc["place"] = record.place.public_id if record.place else None
        doc["categories"] = [
            {"code": c.code, "label_ko": c.label_ko, "label_en": c.label_en,
             "huridocs_types_of_acts": HURIDOCS_ACTS.get(c.code, "").split()} for c in record.categories]
        by_id = data.by_id
        doc["involvements"] = [
            {"person": by_id[i.person_id].public_id, "role": data.coded("involvement_role", i.role)}
            for i in data.involvements if i.event_id == record.id and i.person_id in by_id]
    doc["created_at"], doc["updated_at"] = iso(record.created_at), iso(record.updated_at)
    return doc


def link_docs(data: CaseData) -> list[dict]:
    by_id = data.by_id
    submissions = {item.id: item.public_id for item in data.submissions}
    return [{"submission": submissions[link.submission_id], "record": by_id[link.record_id].public_id,
             "record_kind": by_id[link.record_id].kind, "role": link.role, "passage": link.passage,
             "created_at": iso(link.created_at)} for link in data.links]


def period(precision: str | None, when: date | None, year: int | None, month: int | None) -> tuple[date, date] | None:
    """The days an event's date stands for: the day, the month or the year it names."""
    if when is not None and precision in (None, "day"):
        return when, when
    if year is None:
        return None
    if month is not None and precision in ("day", "month", None):
        last = (date(year + (month == 12), month % 12 + 1, 1) - date.resolution)
        return date(year, month, 1), last
    return date(year, 1, 1), date(year, 12, 31)
