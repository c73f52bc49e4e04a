"""Creating reports and following them up by receipt code."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.facets import FACET_NAMES
from app.models import Message, Submission
from app.models.base import utcnow
from app.security import hash_receipt_code, new_receipt_code
from app.services import audit, search
from app.services.files.attachments import PreparedFile, store
from app.services.intake import notices
from app.services.intake.contact_details import ContactDetails, encrypt_contact
from app.services.taxonomy import categories_by_code

PUBLIC_ID_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud by staff


class AlreadySubmitted(Exception):
    """This form was already sent once (double click, reload of the POST)."""


@dataclass
class ReportData:
    narrative: str
    locale: str
    category_codes: list[str] = field(default_factory=list)
    facets: dict[str, Any] = field(default_factory=dict)  # app/facets.py FACET_NAMES → answer
    consent_un: bool = False
    consent_accountability: bool = False
    consent_publication: bool = False
    keep_image_metadata: bool = False
    contact: ContactDetails = field(default_factory=ContactDetails)


def new_public_id() -> str:
    return "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(10))


def token_hash(form_token: str) -> str:
    return hashlib.sha256(form_token.encode()).hexdigest()


def refuse_resubmission(session: Session, form_token: str) -> None:
    """Raise AlreadySubmitted when this form (its one-time token) was stored before."""
    if session.scalar(sa.select(Submission.id).where(Submission.form_token_hash == token_hash(form_token))):
        raise AlreadySubmitted()


def create_report(
    session: Session, data: ReportData, files: list[PreparedFile], upload_dir: str, form_token: str
) -> tuple[Submission, str]:
    """Store a report with its files and return it with its receipt code (shown once, never stored)."""
    refuse_resubmission(session, form_token)
    for _ in range(5):  # a receipt or public-id collision is astronomically rare; retry anyway
        code = new_receipt_code()
        submission = Submission(
            public_id=new_public_id(),
            kind="report",
            receipt_hash=hash_receipt_code(code),
            form_token_hash=token_hash(form_token),
            status="new",
            locale=data.locale,
            categories=categories_by_code(session, data.category_codes),
            contact_encrypted=encrypt_contact(data.contact),
            may_contact=data.contact.reachable(),
            last_submitter_activity_at=utcnow(),
            **{name: data.facets[name] for name in FACET_NAMES if name in data.facets},
            narrative=data.narrative, consent_un=data.consent_un, consent_accountability=data.consent_accountability,
            consent_publication=data.consent_publication, keep_image_metadata=data.keep_image_metadata,
        )
        try:
            with session.begin_nested():
                session.add(submission)
                session.flush()
        except IntegrityError:
            refuse_resubmission(session, form_token)  # a concurrent double click won the race
            continue
        for prepared in files:
            store(session, submission, prepared, upload_dir)
        search.index_new(session, submission)
        audit.record(
            session, "submitter", "submission.created", "submission", submission.public_id,
            {"kind": "report", "files": len(files)},
        )
        notices.notify_new_item(session, submission)
        session.commit()
        return submission, code
    raise RuntimeError("could not allocate a unique receipt code")


def find_by_receipt(session: Session, code: str) -> Submission | None:
    return session.scalar(sa.select(Submission).where(Submission.receipt_hash == hash_receipt_code(code)))


def find_by_public_id(session: Session, public_id: str) -> Submission | None:
    return session.scalar(sa.select(Submission).where(Submission.public_id == public_id))


def add_followup(
    session: Session, submission: Submission, text: str, files: list[PreparedFile], upload_dir: str
) -> Message:
    """The submitter adds text and/or files to their submission from the receipt page."""
    message = Message(submission=submission, author="submitter", body=text)
    session.add(message)
    session.flush()
    for prepared in files:
        store(session, submission, prepared, upload_dir, added_by="submitter", message_id=message.id)
    submission.last_submitter_activity_at = utcnow()
    search.reindex(session, submission)
    audit.record(
        session, "submitter", "submission.followup", "submission", submission.public_id,
        {"files": len(files), "text": bool(text)},
    )
    session.commit()
    return message
