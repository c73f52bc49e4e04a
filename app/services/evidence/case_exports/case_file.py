"""A case's case file: today's format (evidence/casefile.py) with the case in front.

Beside each submission's folder, exactly as a selection export writes it, `case/` holds
case.json (title, summary, status, lead, which submissions and records), notes.json,
records.json (every record of the export: names, aliases, descriptions, codes, an event's
date, place, categories and the people involved in which role) and links.json (which
submission supports which record, in which role, on which passage). The manifest lists them
and the signature covers them like every other file. Records are written by staff, so no
commitment was made for them at intake and no trusted timestamp can vouch for them: proofs.json
names them under "uncovered" rather than leaving them out silently.
"""
from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from app.models import Case, User
from app.sealed.keys import Keyring
from app.services import audit
from app.services.evidence import casefile, stamps
from app.services.evidence.case_exports import gather
from app.services.evidence.content import LANGS

FOLDER = "case"
FORMAT = "moksori-case/1"
UNCOVERED = ("not timestamped: written by staff in the portal, so nothing was committed for it at intake; "
             "manifest.json and its signature cover it")


def start(session: Session, actor: User, case: Case, include_contact: bool) -> casefile.ExportJob:
    """Audit the export (case, items, contact details) before any byte leaves; commits."""
    job = replace(casefile.start(session, actor, list(case.submissions), include_contact), case=case.public_id)
    audit.record(session, job.actor, "case.exported", "case", case.public_id,
                 {"format": "case_file", "export_id": job.export_id, "submissions": len(job.item_ids),
                  "records": len(case.records), "include_contact": include_contact})
    session.commit()
    return job


def _case_doc(data: gather.CaseData) -> dict:
    case = data.case
    return {
        "format": FORMAT, "public_id": case.public_id, "title": case.title, "summary": case.summary,
        "status": data.coded("case_status", case.status),
        "lead": (case.lead.name or case.lead.email) if case.lead else None,
        "created_at": gather.iso(case.created_at), "updated_at": gather.iso(case.updated_at),
        "submissions": [item.public_id for item in data.submissions],
        "records": [record.public_id for record in data.records if data.why[record.id] == gather.IN_CASE],
        "languages": list(LANGS),
    }


def parts(public_id: str, keyring: Keyring) -> casefile.CaseParts:
    """The case's own files, read in the stream's first short transaction."""

    def build(session: Session, proofs: stamps.Stamps) -> list[tuple[str, str, object]]:
        case = gather.find_case(session, public_id)
        if case is None:  # deleted since the export started: the manifest still names it
            return []
        data = gather.load(session, keyring, case)
        out: list[tuple[str, str, object]] = [
            (f"{FOLDER}/case.json", "case", _case_doc(data)),
            (f"{FOLDER}/notes.json", "case_notes",
             [{"id": n.id, "author": (n.author.name or n.author.email) if n.author else None,
               "created_at": gather.iso(n.created_at), "body": n.body} for n in case.notes]),
            (f"{FOLDER}/records.json", "records",
             {"format": "moksori-records/1", "records": [gather.record_doc(data, r) for r in data.records]}),
            (f"{FOLDER}/links.json", "links", {"format": "moksori-links/1", "links": gather.link_docs(data)}),
        ]
        for path, kind, _ in out:
            proofs.uncovered.append({"file": path, "case": public_id, "piece": kind, "reason": UNCOVERED})
        session.rollback()
        return out

    return build
