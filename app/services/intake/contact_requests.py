"""'Please contact me' requests: stored like reports (receipt code, encrypted details) and
assigned round-robin to active officers who speak the requested language."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Submission, User
from app.models.base import utcnow
from app.services import audit
from app.services.accounts import active_officers
from app.services.intake import notices
from app.services.intake.contact_details import ContactDetails
from app.services.intake.reports import all_or_nothing, form_stored, new_receipt, store_new


@dataclass
class ContactRequest:
    topic: str
    language: str
    message: str
    locale: str
    details: ContactDetails


def next_officer(session: Session, language: str) -> User | None:
    """The officer after the one who got the latest contact request, among those who speak `language`."""
    officers = [u for u in active_officers(session) if language in u.language_list]
    if not officers:
        return None
    last = session.scalar(
        sa.select(Submission.assignee_id)
        .where(Submission.kind == "contact", Submission.assignee_id.in_([u.id for u in officers]))
        .order_by(Submission.id.desc()).limit(1)
    )
    ids = [u.id for u in officers]
    return officers[(ids.index(last) + 1) % len(officers)] if last in ids else officers[0]


def create_contact_request(session: Session, request: ContactRequest, form_token: str) -> tuple[Submission, str]:
    """Store a request to be contacted, assigned to the next officer who speaks its language;
    returns it with its receipt code, all or nothing (reports.all_or_nothing). Raises
    IntakeClosed before the organization's keys exist."""
    receipt = new_receipt(session)

    def work(_writes) -> tuple[Submission, str]:
        officer = next_officer(session, request.language)
        submission = Submission(
            kind="contact", status="new", locale=request.locale, search_pending=True, contact_topic=request.topic,
            contact_language=request.language, may_contact=True, assignee_id=officer.id if officer else None,
            last_submitter_activity_at=utcnow(),
        )
        _key, code = store_new(session, submission, {"narrative": request.message}, request.details, form_token,
                               receipt)
        audit.record(session, "submitter", "submission.created", "submission", submission.public_id,
                     {"kind": "contact", "assigned_to": officer.id if officer else None})
        if officer is not None:
            notices.notify_assigned(session, submission, officer)
        else:
            notices.notify_new_item(session, submission)
        return submission, code

    return all_or_nothing(session, work, form_stored(session, form_token))
