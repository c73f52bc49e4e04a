"""Uwazi and ESF downloads of a case: audited before anything is built, built in memory (a
case's records and links are small beside its files, which neither format carries)."""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.models import Case, User
from app.models.base import utcnow
from app.sealed.keys import Keyring
from app.services import audit
from app.services.evidence.case_exports import esf, gather, uwazi
from app.services.evidence.content import timestamp

FORMATS = ("uwazi", "esf")


@dataclass(frozen=True)
class Download:
    body: bytes
    filename: str
    mimetype: str


def export(session: Session, actor: User, keyring: Keyring, case: Case, fmt: str) -> Download:
    """Build the download, then record it (case.exported, and submission.exported for every
    submission whose account leaves in it); commits."""
    data = gather.load(session, keyring, case)
    now = utcnow()
    if fmt == "uwazi":
        body = uwazi.zip_bytes(uwazi.tables(session, data), now)
        download = Download(body, f"uwazi-{case.public_id}-{timestamp(now)}.zip", "application/zip")
    else:
        body = json.dumps(esf.document(data, now), ensure_ascii=False, indent=2).encode() + b"\n"
        download = Download(body, f"esf-{case.public_id}-{timestamp(now)}.json", "application/json")
    actor_id = f"user:{actor.id}"
    audit.record(session, actor_id, "case.exported", "case", case.public_id, {
        "format": fmt, "submissions": [item.public_id for item in data.submissions],
        "records": len(data.records), "persons": [r.public_id for r in data.of_kind("person")]})
    for item in data.submissions:
        audit.record(session, actor_id, "submission.exported", "submission", item.public_id,
                     {"case": case.public_id, "format": fmt, "include_contact": False})
    session.commit()
    return download
