"""Opening and sealing the values of one submission (models/submission.py, sealed/sealing.py).

Staff open a submission with their session's keyring (its content key is sealed to the org
key); a submitter opens their own with the key their receipt code unwrapped. Opening puts the
plain text on the instances for this request only (item.narrative, message.body,
attachment.name, …); sealing writes ciphertext bound to its place.

Under the content key (what the submitter wrote or reads):
    submission.content:<public id>             the account and the text facets (JSON)
    submission.notice:<public id>              message.body:<message id>:<author>:<public id>
    attachment.name:<stored name>:<public id>  attachment.hashes:<stored name>:<public id>
    and each file, under a key derived per file
Sealed to the org key only (what officers write for themselves: a receipt code, even with a
copy of the database, does not open it):
    submission.status_reason:<public id>       submission.evidence_hold_reason:<public id>
    note.body:<note id>:<public id>
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.facets import FACETS
from app.models import Attachment, Message, Note, Submission
from app.sealed.crypto import padded_length, public_key_of, seal_padded, unseal_padded
from app.sealed.keys import Keyring, KeysError
from app.sealed.sealing import ItemKey, new_item_key, open_for_org, seal_for_org

SEALED_FACETS = tuple(facet.name for facet in FACETS if facet.sealed)
CONTENT_FIELDS = ("narrative", *SEALED_FACETS)
REASONS = ("status_reason", "evidence_hold_reason")


def _message_place(message: Message) -> str:
    return f"message.body:{message.id}:{message.author}"


def _note_place(note: Note) -> str:
    return f"note.body:{note.id}"


def _name_place(attachment: Attachment) -> str:
    return f"attachment.name:{attachment.stored_name}"


def _hashes_place(attachment: Attachment) -> str:
    return f"attachment.hashes:{attachment.stored_name}"


def seal_new(session: Session, item: Submission, texts: dict[str, str | None]) -> ItemKey:
    """Give a new submission its content key (sealed to the org key) and its sealed texts."""
    key = new_item_key(item.public_id)
    item.key_for_org = seal_for_org(session, key)
    item.content_sealed = key.seal_json("submission.content", {name: texts.get(name) for name in CONTENT_FIELDS})
    item.set_opened({name: texts.get(name) for name in CONTENT_FIELDS})
    item.__dict__["_item_key"] = key
    return key


def _staff_place(place: str, public_id: str) -> bytes:
    return f"{place}:{public_id}".encode()


def _open_staff_text(keyring: Keyring | None, place: str, public_id: str, sealed: bytes | None) -> str | None:
    if sealed is None or keyring is None or not keyring.org:
        return None
    return unseal_padded(keyring.recipient("org"), sealed, _staff_place(place, public_id)).decode()


def _seal_staff_text(keyring: Keyring, place: str, public_id: str, text: str) -> bytes:
    if not keyring.org:
        raise KeysError("not_unlocked")
    return seal_for_staff(public_key_of(keyring.org), place, public_id, text)


def seal_for_staff(org_public: bytes, place: str, public_id: str, text: str) -> bytes:
    """Officers' own text (a note, a reason), sealed to the org key only."""
    return seal_padded(org_public, text.encode(), _staff_place(place, public_id))


def open_item(item: Submission, key: ItemKey, keyring: Keyring | None = None) -> ItemKey:
    """Decrypt the submission's own values onto it: the account and text facets with its key,
    the officers' reasons with a staff keyring (for a submitter they stay closed)."""
    if item.__dict__.get("_item_key") is key and item.is_opened:
        return key
    values = key.open_json("submission.content", item.content_sealed)
    for which in REASONS:
        values[which] = _open_staff_text(keyring, f"submission.{which}", item.public_id,
                                         getattr(item, f"{which}_sealed"))
    item.set_opened(values)
    item.__dict__["_item_key"] = key
    return key


def staff_key(keyring: Keyring, item: Submission) -> ItemKey:
    """The item's content key through the org key (cached on the instance for the request)."""
    cached = item.__dict__.get("_item_key")
    return cached if cached is not None else open_for_org(keyring, item.public_id, item.key_for_org)


def open_for_staff(keyring: Keyring, item: Submission) -> ItemKey:
    return open_item(item, staff_key(keyring, item), keyring)


def open_thread(item: Submission, key: ItemKey, keyring: Keyring | None = None) -> None:
    """Decrypt the messages and file names of an opened submission, and with a staff keyring
    its internal notes."""
    for message in item.messages:
        open_message(message, key)
    for attachment in item.attachments:
        open_attachment(attachment, key)
    if keyring is not None:
        for note in item.notes:
            open_note(note, keyring)


def open_message(message: Message, key: ItemKey) -> Message:
    if not message.is_opened:
        message.set_opened({"body": key.open_text(_message_place(message), message.body_sealed)})
    return message


def open_note(note: Note, keyring: Keyring) -> Note:
    if not note.is_opened:
        note.set_opened({"body": _open_staff_text(keyring, _note_place(note), note.submission.public_id,
                                                  note.body_sealed)})
    return note


def open_attachment(attachment: Attachment, key: ItemKey) -> Attachment:
    if not attachment.is_opened:
        hashes = key.open_json(_hashes_place(attachment), attachment.hashes_sealed)
        attachment.set_opened({"name": key.open_text(_name_place(attachment), attachment.name_sealed), **hashes})
    return attachment


def seal_message(session: Session, message: Message, body: str, key: ItemKey) -> None:
    """Seal a new message's body (its id is part of the place, so it is flushed first)."""
    message.body_sealed = b""
    session.add(message)
    session.flush()
    message.body_sealed = key.seal(_message_place(message), body)
    message.set_opened({"body": body})


def seal_note(session: Session, note: Note, body: str, keyring: Keyring) -> None:
    note.body_sealed = b""
    session.add(note)
    session.flush()
    note.body_sealed = _seal_staff_text(keyring, _note_place(note), note.submission.public_id, body)
    note.set_opened({"body": body})


def seal_attachment(attachment: Attachment, name: str, sha256: str, received_sha256: str, size: int,
                    key: ItemKey) -> None:
    """A file's name, its two hashes (as kept, as received) and its exact size, sealed under
    the item's key; in the clear only the size class it is stored padded to."""
    hashes = {"sha256": sha256, "received_sha256": received_sha256, "size": size}
    attachment.size_class = padded_length(size)
    attachment.name_sealed = key.seal(_name_place(attachment), name)
    attachment.hashes_sealed = key.seal_json(_hashes_place(attachment), hashes)
    attachment.set_opened({"name": name, **hashes})


def set_reason(item: Submission, which: str, text: str | None, keyring: Keyring) -> None:
    """A status or hold reason (None clears it), sealed to the org key."""
    if which not in REASONS:  # the reason's place (its AEAD binding) comes from this name
        raise ValueError(f"not a reason: {which!r}")
    open_for_staff(keyring, item)
    sealed = _seal_staff_text(keyring, f"submission.{which}", item.public_id, text) if text else None
    setattr(item, f"{which}_sealed", sealed)
    values = dict(item.__dict__.get("_opened") or {})
    values[which] = text or None
    item.set_opened(values)
