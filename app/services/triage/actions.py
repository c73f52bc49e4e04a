"""Working an item to a decision: status along the workflow, assessment, assignment,
recoding, notes, messages, and the audited looks (view, reveal, download).

Each function checks first and changes after, so a refused change leaves nothing behind,
and records one audit event. The caller commits (a bulk action commits once per item).
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import vocabularies as v
from app.models import Message, Note, Submission, User
from app.models.base import utcnow
from app.sealed import commitments, search, vault
from app.sealed.keys import Keyring
from app.sealed.sealing import ItemKey
from app.services import audit
from app.services.intake import notices
from app.services.intake.contact_details import ContactDetails, open_contact
from app.services.refusal import Refused
from app.services.taxonomy import categories_by_code

MAX_TEXT = 20_000


class TriageError(Refused):
    """reason: "transition", "reason_required", "duplicate_target", "choice", "assignee", "empty",
    "too_long", "stale", "no_contact_access". For "transition", `status` is the item's current
    status, so the message can name the moves that are possible from it."""

    def __init__(self, reason: str, status: str | None = None):
        super().__init__(reason)
        self.status = status


def next_statuses(status: str) -> list[str]:
    """The statuses an item may move to from `status`, in the workflow's order."""
    allowed = v.TRANSITIONS.get(status, set())
    return [code for code, _ in v.STATUSES if code in allowed]


def _actor(user: User) -> str:
    return f"user:{user.id}"


def _audit(session, user, action, submission, details=None):
    audit.record(session, _actor(user), action, "submission", submission.public_id, details or {})


def check_version(submission: Submission, expected: int | None) -> None:
    """Refuse a change made from a page older than the item (someone else changed it)."""
    if expected is not None and expected != submission.version:
        raise TriageError("stale")


def record_view(session: Session, user: User, submission: Submission) -> None:
    # A plain UPDATE: looking at an item must not bump its version and make others' forms stale.
    # updated_at is set to itself: a look is not a change (retention and "recently changed" use it).
    session.execute(sa.update(Submission).where(Submission.id == submission.id)
                    .values(staff_viewed_at=utcnow(), updated_at=Submission.updated_at)
                    .execution_options(synchronize_session=False))
    _audit(session, user, "submission.viewed", submission)


def change_status(session: Session, actor: User, submission: Submission, new_status: str, keyring: Keyring,
                  reason: str | None = None, duplicate_of: Submission | None = None) -> None:
    old = submission.status
    if new_status not in v.TRANSITIONS.get(old, set()):
        raise TriageError("transition", old)
    reason = (reason or "").strip()
    if new_status in v.REASON_REQUIRED and not reason:
        raise TriageError("reason_required")
    if len(reason) > 1000:
        raise TriageError("too_long")
    if new_status == "duplicate" and (duplicate_of is None or duplicate_of.id == submission.id):
        raise TriageError("duplicate_target")
    submission.status = new_status
    vault.set_reason(submission, "status_reason", reason or None, keyring)
    submission.duplicate_of_id = duplicate_of.id if duplicate_of and new_status == "duplicate" else None
    # The audit log says that a reason was given, never what it says: the log is not sealed.
    _audit(session, actor, "submission.status", submission,
           {"from": old, "to": new_status, "reason_given": bool(reason),
            "duplicate_of": duplicate_of.public_id if duplicate_of and new_status == "duplicate" else None})


def _choice(value: str | None, vocabulary) -> str | None:
    if value in (None, ""):
        return None
    if value not in {code for code, _ in vocabulary}:
        raise TriageError("choice")
    return value


def set_priority(session: Session, actor: User, submission: Submission, priority: str | None) -> None:
    new = _choice(priority, v.PRIORITIES)
    if new != submission.priority:
        _audit(session, actor, "submission.priority", submission, {"from": submission.priority, "to": new})
        submission.priority = new


def set_assessment(session: Session, actor: User, submission: Submission,
                   violation_status: str | None, reliability: str | None) -> None:
    status, rel = _choice(violation_status, v.VIOLATION_STATUSES), _choice(reliability, v.RELIABILITY)
    if (status, rel) != (submission.violation_status, submission.reliability):
        _audit(session, actor, "submission.assessment", submission,
               {"violation_status": status, "reliability": rel})
        submission.violation_status, submission.reliability = status, rel


def assign(session: Session, actor: User, submission: Submission, assignee: User | None) -> None:
    if assignee is not None and not assignee.active:
        raise TriageError("assignee")
    new_id = assignee.id if assignee else None
    if new_id == submission.assignee_id:
        return
    _audit(session, actor, "submission.assigned", submission, {"from": submission.assignee_id, "to": new_id})
    submission.assignee_id = new_id
    submission.assignee = assignee
    if assignee is not None and assignee.id != actor.id:
        notices.notify_assigned(session, submission, assignee)


def recode(session: Session, actor: User, submission: Submission, codes: list[str]) -> None:
    categories = categories_by_code(session, codes)
    if len(categories) != len(set(codes)):
        raise TriageError("choice")
    old = sorted(c.code for c in submission.categories)
    new = sorted(c.code for c in categories)
    if old != new:
        _audit(session, actor, "submission.recoded", submission, {"from": old, "to": new})
        submission.categories = categories


def _text(body: str | None) -> str:
    body = (body or "").strip()
    if not body:
        raise TriageError("empty")
    if len(body) > MAX_TEXT:
        raise TriageError("too_long")
    return body


def add_note(session: Session, actor: User, submission: Submission, body: str, keyring: Keyring) -> Note:
    note = Note(submission=submission, author_user_id=actor.id)
    vault.seal_note(session, note, _text(body), keyring)
    _audit(session, actor, "note.added", submission, {"note_id": note.id})
    search.mark_pending(session, submission)  # notes are searched too: indexed on the next staff request
    return note


def send_message(session: Session, actor: User, submission: Submission, body: str, key: ItemKey) -> Message:
    """A message the submitter reads on their receipt page, in the thread."""
    message = Message(submission=submission, author="staff", author_user_id=actor.id)
    vault.seal_message(session, message, _text(body), key)
    commitments.commit_message(session, message, _text(body))
    _audit(session, actor, "message.sent", submission, {"message_id": message.id})
    search.mark_pending(session, submission)  # messages are searched too
    notices.notify_submitter(session, submission, key)
    return message


def reveal_contact(session: Session, actor: User, submission: Submission, keyring: Keyring) -> ContactDetails | None:
    """The contact details, for an account that holds the identity key; audited before they
    are opened. Raises TriageError("no_contact_access") for any other account."""
    if not keyring.identity:
        raise TriageError("no_contact_access")
    _audit(session, actor, "submission.contact_revealed", submission)
    return open_contact(keyring, submission)


def record_download(session: Session, actor: User, submission: Submission, attachment_id: int) -> None:
    _audit(session, actor, "attachment.downloaded", submission, {"attachment_id": attachment_id})
