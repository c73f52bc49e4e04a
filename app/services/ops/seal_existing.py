"""Sealing what an installation stored before sealing existed (`flask keys seal-existing`).

Runs between migrations 0010 (sealed columns added) and 0011 (plaintext columns dropped).
It needs only the organization's public keys: every submission gets a content key sealed to
the org key, its texts, messages, file names and files are sealed under it, notes and
reasons are sealed to the org key, contact details to the identity key, and the plaintext
columns are emptied row by row in the same transaction. The old search index, which held
syllables in the clear, is emptied; everything is indexed again from the next officer session.

What cannot be carried over: a receipt code is not known to the server (only its HMAC), so
its wrapping of the content key is made when the submitter next enters it
(services/intake/reports.py, legacy receipts), completed by the next officer session.
"""
from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.sealed import installation, search, vault
from app.sealed.keys import public_key
from app.sealed.sealing import ItemKey, new_item_key, seal_for_identity, seal_key_to, stored_size
from app.services import audit
from app.services.files.attachments import path_for

SEALED_COPY = ".sealed"
LEGACY_CONTACT = "submission.contact"
LEGACY_NAME = "attachment.original_name"
BATCH = 200
TEXT_FACETS = ("place", "when_text", "perpetrator_text")


@dataclass
class SealReport:
    submissions: int = 0
    messages: int = 0
    notes: int = 0
    files: int = 0


def _tables(session: Session) -> dict[str, sa.Table]:
    metadata = sa.MetaData()
    connection = session.connection()  # the session's own: SQLite would wait on its write lock otherwise
    return {name: sa.Table(name, metadata, autoload_with=connection)
            for name in ("submission", "message", "note", "attachment")}


def _empty_search_index(session: Session) -> None:
    """Everything is indexed again from the next officer session. This runs between revisions
    0010 and 0011, when the index is still the old token table (revision 0016 replaces it)."""
    tables = sa.inspect(session.connection()).get_table_names()
    if "search_segment" in tables:
        search.mark_all_pending(session)
        return
    if "submission_search" in tables:
        session.execute(sa.text("DELETE FROM submission_search"))
    session.execute(sa.text("UPDATE submission SET search_pending = true"))


def legacy_rows_left(session: Session) -> int:
    """Submissions that still hold plaintext (0 once sealed, or after migration 0011)."""
    submission = _tables(session)["submission"]
    if "narrative" not in submission.c:
        return 0
    return session.scalar(sa.select(sa.func.count()).select_from(submission)
                          .where(submission.c.content_sealed.is_(None))) or 0


def _batches(session: Session, table: sa.Table) -> Iterator[Sequence[sa.Row]]:
    while rows := session.execute(sa.select(table).where(table.c.content_sealed.is_(None))
                                  .order_by(table.c.id).limit(BATCH)).all():
        yield rows


def _seal_contact(session: Session, public_id: str, encrypted: bytes | None, key: ItemKey) -> dict:
    if not encrypted:
        return {"contact_sealed": None, "notice_sealed": None}
    values = json.loads(installation.open_legacy_field(encrypted, LEGACY_CONTACT))
    notice = values.pop("notice_email", "") or ""
    who = {name: value for name, value in values.items() if value}
    return {"contact_sealed": seal_for_identity(session, public_id, who) if who else None,
            "notice_sealed": key.seal("submission.notice", notice) if notice else None}


def _sealed_copy(upload_dir: str, stored_name: str) -> Path:
    return path_for(upload_dir, stored_name).with_suffix(SEALED_COPY)


def _write_sealed_copy(upload_dir: str, stored_name: str, key: ItemKey) -> None:
    """The file decrypted with the installation key and encrypted under its own key, beside
    the original: it replaces the original only after the row's commit (_swap_copies)."""
    with open(path_for(upload_dir, stored_name), "rb") as handle:
        plain = b"".join(installation.legacy_file_chunks(handle))
    with open(_sealed_copy(upload_dir, stored_name), "wb") as handle:
        key.encrypt_file(io.BytesIO(plain), handle, stored_name)
        handle.flush()
        os.fsync(handle.fileno())


def _swap_copies(session: Session, attachment: sa.Table, upload_dir: str) -> None:
    """Put sealed copies in place for rows already committed as sealed; drop copies whose row
    was not (a run stopped half-way redoes them)."""
    for copy in Path(upload_dir).glob(f"*/*{SEALED_COPY}"):
        stored_name = copy.name.removesuffix(SEALED_COPY)
        sealed = session.scalar(sa.select(attachment.c.name_sealed).where(attachment.c.stored_name == stored_name))
        if sealed:
            os.replace(copy, path_for(upload_dir, stored_name))
        else:
            copy.unlink()


def seal_existing(session: Session, upload_dir: str) -> SealReport:
    """Seal every plaintext submission with its thread and files; idempotent, resumable (each
    batch commits; a row is sealed and emptied in one transaction)."""
    tables = _tables(session)
    submission, message, note, attachment = (tables[n] for n in ("submission", "message", "note", "attachment"))
    org_public = public_key(session, "org")
    report = SealReport()
    _swap_copies(session, attachment, upload_dir)
    for rows in _batches(session, submission):
        for row in rows:
            key = new_item_key(row.public_id)
            texts = {"narrative": row.narrative or "", **{name: getattr(row, name) for name in TEXT_FACETS}}
            values = {
                "key_for_org": seal_key_to(org_public, key),
                "content_sealed": key.seal_json("submission.content", texts),
                "status_reason_sealed": vault.seal_for_staff(org_public, "submission.status_reason", row.public_id,
                                                             row.status_reason) if row.status_reason else None,
                "evidence_hold_reason_sealed": vault.seal_for_staff(
                    org_public, "submission.evidence_hold_reason", row.public_id,
                    row.evidence_hold_reason) if row.evidence_hold_reason else None,
                **_seal_contact(session, row.public_id, row.contact_encrypted, key),
                # The code itself is unknown here: its look-up stays an HMAC until the submitter
                # next enters it (services/intake/reports.py find_by_receipt).
                "receipt_legacy_hash": row.receipt_hash, "receipt_hash": None,
                "search_pending": True, "narrative": None, "place": None, "when_text": None,
                "perpetrator_text": None, "status_reason": None, "evidence_hold_reason": None,
                "contact_encrypted": None,
            }
            session.execute(sa.update(submission).where(submission.c.id == row.id).values(**values))
            for entry in session.execute(sa.select(message).where(message.c.submission_id == row.id)):
                sealed = key.seal(f"message.body:{entry.id}:{entry.author}", entry.body or "")
                session.execute(sa.update(message).where(message.c.id == entry.id)
                                .values(body_sealed=sealed, body=None))
                report.messages += 1
            for entry in session.execute(sa.select(note).where(note.c.submission_id == row.id)):
                sealed = vault.seal_for_staff(org_public, f"note.body:{entry.id}", row.public_id, entry.body or "")
                session.execute(sa.update(note).where(note.c.id == entry.id).values(body_sealed=sealed, body=None))
                report.notes += 1
            for entry in session.execute(sa.select(attachment).where(attachment.c.submission_id == row.id)):
                name = installation.open_legacy_field(entry.original_name_encrypted, LEGACY_NAME)
                _write_sealed_copy(upload_dir, entry.stored_name, key)
                hashes = {"sha256": entry.sha256, "received_sha256": entry.received_sha256, "size": entry.size}
                session.execute(sa.update(attachment).where(attachment.c.id == entry.id).values(
                    name_sealed=key.seal(f"attachment.name:{entry.stored_name}", name), original_name_encrypted=None,
                    hashes_sealed=key.seal_json(f"attachment.hashes:{entry.stored_name}", hashes),
                    sha256=None, received_sha256=None, size=stored_size(entry.size)))
                report.files += 1
            report.submissions += 1
        session.commit()
        _swap_copies(session, attachment, upload_dir)
    _empty_search_index(session)
    audit.record(session, "cli", "keys.sealed_existing", None, None, report.__dict__)
    session.commit()
    return report

