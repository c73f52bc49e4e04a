"""Values and files sealed before padding existed (before revision 0017), sealed again padded,
so that a copy shows their lengths only to a class (SECURITY.md, "Sizes").

Run by `flask keys pad-existing` with the recovery code (it needs the org key for everything
and the identity key for contact details), a batch of submissions per transaction, resumable:
a value already padded is left as it is. A file is written padded beside the old one, synced
and renamed over it before its row changes; a file already padded is left alone, so a run
stopped between the two is finished by the next one.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.models import Attachment, Message, Note, Setting, Submission
from app.sealed import crypto, vault
from app.sealed.keys import Keyring
from app.sealed.sealing import ItemKey, identity_public_key

PROGRESS = "pad_existing.after"  # the last submission id done
NEEDED = "pad_existing.needed"  # written by migration 0017 when there were submissions to pad
BATCH = 200


@dataclass
class Report:
    values: int = 0
    files: int = 0
    contact_left: int = 0  # contact details left unpadded: the keyring holds no identity key


def _reseal(key: ItemKey, place: str, blob: bytes | None, report: Report) -> bytes | None:
    if blob is None:
        return blob
    plain, padded = key.open_either(place, blob)
    if padded:
        return blob
    report.values += 1
    return key.seal(place, plain)


def _reseal_staff(keyring: Keyring, kind: str, public: bytes, place: bytes, blob: bytes | None,
                  report: Report) -> bytes | None:
    if blob is None:
        return blob
    plain, padded = crypto.unseal_either(keyring.recipient(kind), blob, place)
    if padded:
        return blob
    report.values += 1
    return crypto.seal_padded(public, plain, place)


def _repad_file(path: Path, key: ItemKey, stored_name: str) -> int | None:
    """The file written anew padded (its plaintext size returned), or None if it already is."""
    with open(path, "rb") as handle:
        if crypto.file_is_padded(handle.read(len(crypto.PADDED_FILE_MAGIC))):
            return None
        handle.seek(0)
        plain = b"".join(key.file_chunks(handle, stored_name))
    key.write_file(path, plain, stored_name)
    return len(plain)


def repad_submission(session: Session, item: Submission, keyring: Keyring, upload_dir: str, report: Report) -> None:
    key = vault.staff_key(keyring, item)
    org_public = crypto.public_key_of(keyring.keys["org"])
    session.execute(sa.update(Submission).where(Submission.id == item.id).values(
        content_sealed=_reseal(key, "submission.content", item.content_sealed, report),
        notice_sealed=_reseal(key, "submission.notice", item.notice_sealed, report),
        status_reason_sealed=_reseal_staff(keyring, "org", org_public, f"submission.status_reason:{item.public_id}"
                                           .encode(), item.status_reason_sealed, report),
        evidence_hold_reason_sealed=_reseal_staff(
            keyring, "org", org_public, f"submission.evidence_hold_reason:{item.public_id}".encode(),
            item.evidence_hold_reason_sealed, report),
        updated_at=Submission.updated_at).execution_options(synchronize_session=False))
    if item.contact_sealed is not None:
        if keyring.identity:
            contact_place = f"submission.contact:{item.public_id}".encode()
            sealed = _reseal_staff(keyring, "identity", identity_public_key(session), contact_place,
                                   item.contact_sealed, report)
            session.execute(sa.update(Submission).where(Submission.id == item.id).values(
                contact_sealed=sealed, updated_at=Submission.updated_at).execution_options(synchronize_session=False))
        else:
            report.contact_left += 1
    for message in item.messages:
        place = f"message.body:{message.id}:{message.author}"
        session.execute(sa.update(Message).where(Message.id == message.id).values(
            body_sealed=_reseal(key, place, message.body_sealed, report)))
    for note in item.notes:
        note_place = f"note.body:{note.id}:{item.public_id}".encode()
        session.execute(sa.update(Note).where(Note.id == note.id).values(
            body_sealed=_reseal_staff(keyring, "org", org_public, note_place, note.body_sealed, report)))
    for attachment in item.attachments:
        _repad_attachment(session, attachment, key, upload_dir, report)


def _repad_attachment(session: Session, attachment: Attachment, key: ItemKey, upload_dir: str, report: Report) -> None:
    stored = attachment.stored_name
    path = Path(upload_dir) / stored[:2] / stored
    size = _repad_file(path, key, stored) if path.exists() else None
    if size is not None:
        report.files += 1
    hashes_place = f"attachment.hashes:{stored}"
    plain, padded = key.open_either(hashes_place, attachment.hashes_sealed)
    hashes, hashes_sealed = json.loads(plain), attachment.hashes_sealed
    if "size" not in hashes or not padded:
        # From before padding: the clear column held the exact size; now it is sealed here.
        hashes.setdefault("size", size if size is not None else attachment.size_class)
        hashes_sealed = key.seal_json(hashes_place, hashes)
        report.values += 1
    session.execute(sa.update(Attachment).where(Attachment.id == attachment.id).values(
        name_sealed=_reseal(key, f"attachment.name:{stored}", attachment.name_sealed, report),
        hashes_sealed=hashes_sealed, size_class=crypto.padded_length(hashes["size"])))


def run(session: Session, keyring: Keyring, upload_dir: str, restart: bool = False) -> Report:
    """Pad every submission after the last one done (from the start with `restart`); commits
    after each batch."""
    report = Report()
    progress = session.get(Setting, PROGRESS)
    after = 0 if restart or progress is None else int(json.loads(progress.value))
    while items := list(session.scalars(
            sa.select(Submission).where(Submission.id > after).order_by(Submission.id).limit(BATCH)
            .options(selectinload(Submission.messages), selectinload(Submission.notes),
                     selectinload(Submission.attachments)))):
        for item in items:
            repad_submission(session, item, keyring, upload_dir, report)
        after = items[-1].id
        session.merge(Setting(key=PROGRESS, value=json.dumps(after)))
        session.commit()
    if not report.contact_left:
        session.execute(sa.delete(Setting).where(Setting.key == NEEDED))
        session.commit()
    return report


def needed(session: Session) -> bool:
    """Whether values from before padding may be left (until the command has run through)."""
    return session.get(Setting, NEEDED) is not None
