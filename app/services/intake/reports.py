"""Creating reports and following them up by receipt code."""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.facets import FACETS
from app.models import Message, ReceiptRewrap, Submission
from app.models.base import utcnow
from app.sealed import commitments, vault
from app.sealed.keys import Keyring, keys_exist, public_key
from app.sealed.sealing import ItemKey, ReceiptSecret, open_receipt_secret, receipt_secret, seal_receipt_secret
from app.security import hash_receipt_code, new_receipt_code
from app.services import audit, faults
from app.services.files.attachments import FileWrites, PreparedFile, store
from app.services.intake import notices
from app.services.intake.contact_details import ContactDetails, seal_contact
from app.services.taxonomy import categories_by_code

COLUMN_FACETS = tuple(facet.name for facet in FACETS if not facet.sealed)
T = TypeVar("T")
PUBLIC_ID_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud by staff


class AlreadySubmitted(Exception):
    """This form was already sent once (double click, reload of the POST)."""


@dataclass
class ReportData:
    narrative: str
    locale: str
    category_codes: list[str] = field(default_factory=list)
    facets: dict[str, Any] = field(default_factory=dict)  # app/facets.py facet name → answer
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


class IntakeClosed(RuntimeError):
    """The organization's keys do not exist yet: nothing can be sealed, so nothing is accepted."""


def intake_open(session: Session) -> bool:
    return keys_exist(session)


def new_receipt(session: Session) -> tuple[str, ReceiptSecret]:
    """A fresh receipt code and its secret, derived before the submission's transaction starts
    (sealing.receipt_secret says why)."""
    code = new_receipt_code()
    return code, receipt_secret(session, code)


def store_new(session: Session, submission: Submission, texts: dict[str, str | None], contact: ContactDetails,
              form_token: str, receipt: tuple[str, ReceiptSecret] | None = None) -> tuple[ItemKey, str]:
    """Seal and insert a new submission (report or contact request): its content key, sealed
    texts and contact details, and a fresh receipt code that wraps the key. Returns the key
    and the code (shown once, never stored). A collision of public id or receipt look-up is
    astronomically rare and simply retried; a second POST of the same form is refused."""
    if not intake_open(session):
        raise IntakeClosed()
    refuse_resubmission(session, form_token)
    for _ in range(5):
        code, secret = receipt or new_receipt(session)
        receipt = None  # a collision needs a new code
        submission.public_id, submission.receipt_lookup = new_public_id(), secret.lookup
        submission.form_token_hash = token_hash(form_token)
        key = vault.seal_new(session, submission, texts)
        submission.key_for_receipt = secret.wrap(key)
        seal_contact(session, submission, contact, key)
        try:
            with session.begin_nested():
                session.add(submission)
                session.flush()
        except IntegrityError:
            refuse_resubmission(session, form_token)  # a concurrent double click won the race
            continue
        commitments.commit_account(session, submission, key)  # for the next trusted timestamp
        return key, code
    raise RuntimeError("could not allocate a unique public id and receipt code")


def all_or_nothing(session: Session, work: Callable[[FileWrites], T], stored_after_all: Callable[[], bool]) -> T:
    """Run `work` (which adds rows and writes files) and commit, or keep nothing of it.

    On a database or disk fault the transaction is rolled back, the files written are
    removed and StoreFailed is raised; `retry` says whether trying again is safe. When the
    COMMIT itself failed, the database may have committed before the connection broke:
    `stored_after_all` asks (on a fresh connection) and, if so, the attempt succeeded. If that
    cannot be asked, the files stay (an unnamed encrypted file, which retention's orphan sweep
    removes, is better than a stored report whose file is gone) and no retry is offered."""
    writes = FileWrites()
    try:
        result = work(writes)
        session.flush()
    except BaseException as error:
        session.rollback()
        writes.discard()
        if faults.is_fault(error):
            raise faults.StoreFailed(retry=faults.is_database_fault(error)) from error
        raise
    try:
        session.commit()
    except Exception as error:
        session.rollback()
        if not faults.is_fault(error):
            writes.discard()
            raise
        try:
            landed = stored_after_all()
        except Exception:
            session.rollback()
            raise faults.StoreFailed(retry=False) from error
        session.rollback()
        if landed:
            return result
        writes.discard()
        raise faults.StoreFailed(retry=faults.is_database_fault(error)) from error
    return result


def form_stored(session: Session, form_token: str) -> Callable[[], bool]:
    """Whether the form with this one-time token was stored: the question after a failed COMMIT."""
    return lambda: session.scalar(
        sa.select(Submission.id).where(Submission.form_token_hash == token_hash(form_token))) is not None


def create_report(
    session: Session, data: ReportData, files: list[PreparedFile], upload_dir: str, form_token: str
) -> tuple[Submission, str]:
    """Store a report with its files and return it with its receipt code, all or nothing
    (all_or_nothing). Raises IntakeClosed before the organization's keys exist."""

    receipt = new_receipt(session)

    def work(writes: FileWrites) -> tuple[Submission, str]:
        submission = Submission(
            kind="report", status="new", locale=data.locale, search_pending=True,
            categories=categories_by_code(session, data.category_codes),
            may_contact=data.contact.reachable(), last_submitter_activity_at=utcnow(),
            **{name: data.facets[name] for name in COLUMN_FACETS if name in data.facets},
            consent_un=data.consent_un, consent_accountability=data.consent_accountability,
            consent_publication=data.consent_publication, keep_image_metadata=data.keep_image_metadata,
        )
        texts = {"narrative": data.narrative, **{name: data.facets.get(name) for name in vault.SEALED_FACETS}}
        key, code = store_new(session, submission, texts, data.contact, form_token, receipt)
        for prepared in files:
            store(session, submission, prepared, upload_dir, key, writes=writes)
        audit.record(session, "submitter", "submission.created", "submission", submission.public_id,
                     {"kind": "report", "files": len(files)})
        notices.notify_new_item(session, submission)
        return submission, code

    return all_or_nothing(session, work, form_stored(session, form_token))


def find_by_receipt(session: Session, code: str) -> tuple[Submission, ItemKey | None] | None:
    """The submission a receipt code belongs to, with its content key unwrapped by the code.
    A submission sealed from before sealing existed is found by its old HMAC once; until an
    officer session has wrapped its key for the code, it comes without a key."""
    secret = receipt_secret(session, code)
    submission = session.scalar(sa.select(Submission).where(Submission.receipt_lookup == secret.lookup))
    if submission is None:
        submission = _claim_legacy_receipt(session, code, secret)
        return (submission, None) if submission else None
    if submission.key_for_receipt is None:
        return submission, None
    return submission, vault.open_item(submission, secret.open(submission.public_id, submission.key_for_receipt))


def _claim_legacy_receipt(session: Session, code: str, secret: ReceiptSecret) -> Submission | None:
    """A code of a submission received before sealing: look it up by its HMAC, give it the
    Argon2id look-up from now on, and leave the code's secret sealed to the org key for the
    next officer session (complete_receipt_wraps). The HMAC is deleted."""
    if session.scalar(sa.select(Submission.id).where(Submission.receipt_legacy_hash.is_not(None)).limit(1)) is None:
        return None
    submission = session.scalar(sa.select(Submission).where(Submission.receipt_legacy_hash == hash_receipt_code(code)))
    if submission is None:
        return None
    submission.receipt_lookup, submission.receipt_legacy_hash = secret.lookup, None
    sealed = seal_receipt_secret(public_key(session, "org"), submission.public_id, secret)
    session.add(ReceiptRewrap(submission_id=submission.id, secret_sealed=sealed))
    session.commit()
    return submission


def complete_receipt_wraps(session: Session, keyring: Keyring, limit: int = 50) -> int:
    """Wrap the content keys of claimed legacy receipts for their codes (an officer session's
    keys open both the waiting secret and the content key). The caller commits."""
    if not keyring.org:
        return 0
    waiting = list(session.scalars(sa.select(ReceiptRewrap).limit(limit)))
    for rewrap in waiting:
        submission = rewrap.submission
        secret = open_receipt_secret(keyring, submission.public_id, rewrap.secret_sealed)
        # A plain UPDATE: not a change of the item (version and updated_at stay).
        session.execute(sa.update(Submission).where(Submission.id == submission.id).values(
            key_for_receipt=secret.wrap(vault.staff_key(keyring, submission)), updated_at=Submission.updated_at)
            .execution_options(synchronize_session=False))
        session.delete(rewrap)
    return len(waiting)


def find_by_public_id(session: Session, public_id: str) -> Submission | None:
    return session.scalar(sa.select(Submission).where(Submission.public_id == public_id))


def add_followup(session: Session, submission: Submission, text: str, files: list[PreparedFile], upload_dir: str,
                 key: ItemKey) -> Message:
    """The submitter adds text and/or files to their submission from the receipt page, all
    or nothing (all_or_nothing)."""
    added: dict[str, int] = {}

    def work(writes: FileWrites) -> Message:
        message = Message(submission=submission, author="submitter")
        vault.seal_message(session, message, text, key)
        commitments.commit_message(session, message, text)
        added["message"] = message.id
        for prepared in files:
            store(session, submission, prepared, upload_dir, key, added_by="submitter", message_id=message.id,
                  writes=writes)
        submission.last_submitter_activity_at = utcnow()
        submission.search_pending = True  # new words: indexed from the next officer session
        audit.record(session, "submitter", "submission.followup", "submission", submission.public_id,
                     {"files": len(files), "text": bool(text)})
        return message

    return all_or_nothing(session, work, lambda: session.scalar(
        sa.select(Message.id).where(Message.id == added["message"])) is not None)
