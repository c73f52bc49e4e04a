"""Sealing and opening records, links and cases (models/records.py; SECURITY.md, "Records
and cases").

A record or case has a content key of its own, stored only sealed to the organization's
public key; its JSON content is AES-GCM under that key, padded to its size class and bound to
its place ("record.content:<public id>"). Officers' free text attached to a link or a case (the
passage a link rests on, a case note) is sealed to the org key directly, like a submission's
notes, and bound to the row it belongs to. Nothing here is ever sealed for a submitter: no
receipt code opens a record.
"""
from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from app.models.records import Case, CaseNote, Record, RecordLink
from app.sealed.crypto import public_key_of, random_key, seal, seal_padded, unseal, unseal_padded
from app.sealed.keys import Keyring, KeysError, public_key
from app.sealed.sealing import ItemKey

# Public ids: a kind letter and ten characters without look-alikes (0/O, 1/I/L).
ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ID_LETTER = {"person": "P", "place": "L", "event": "E", "case": "C"}

Sealable = Record | Case


def new_public_id(kind: str) -> str:
    return ID_LETTER[kind] + "".join(secrets.choice(ID_ALPHABET) for _ in range(10))


def _table(obj: Sealable) -> str:
    return "case" if isinstance(obj, Case) else "record"


def _key_place(obj: Sealable) -> bytes:
    return f"{_table(obj)}.key:{obj.public_id}".encode()


def _org_public(keyring: Keyring) -> bytes:
    if not keyring.org:
        raise KeysError("not_unlocked")
    return public_key_of(keyring.org)


def content_key(keyring: Keyring, obj: Sealable) -> ItemKey:
    """The object's content key through the org key (cached on the instance for the request)."""
    cached = obj.__dict__.get("_content_key")
    if cached is not None:
        return cached
    if not keyring.org:
        raise KeysError("not_unlocked")
    key = ItemKey(obj.public_id, unseal(keyring.recipient("org"), obj.key_for_org, _key_place(obj)))
    obj.__dict__["_content_key"] = key
    return key


def seal_new(session: Session, obj: Sealable, content: dict) -> None:
    """Give a new record or case (public_id set) its content key and sealed content."""
    key = ItemKey(obj.public_id, random_key())
    obj.key_for_org = seal(public_key(session, "org"), key.key, _key_place(obj))
    obj.__dict__["_content_key"] = key
    write_content(obj, key, content)


def write_content(obj: Sealable, key: ItemKey, content: dict) -> None:
    obj.content_sealed = key.seal_json(f"{_table(obj)}.content", content)
    obj.set_opened(dict(content))


def rewrite(keyring: Keyring, obj: Sealable, content: dict) -> None:
    """An edit: the same content key, new sealed content (a fresh nonce)."""
    write_content(obj, content_key(keyring, obj), content)


def open_content(keyring: Keyring, obj: Sealable) -> Sealable:
    if not obj.is_opened:
        key = content_key(keyring, obj)
        obj.set_opened(key.open_json(f"{_table(obj)}.content", obj.content_sealed))
    return obj


def open_all(keyring: Keyring, objects: list) -> list:
    for obj in objects:
        open_content(keyring, obj)
    return objects


def _passage_place(link: RecordLink) -> bytes:
    return f"record_link.passage:{link.id}:{link.record_id}:{link.submission_id}".encode()


def seal_passage(session: Session, link: RecordLink, passage: str | None, keyring: Keyring) -> None:
    """The passage a link rests on, sealed to the org key and bound to the link (flushed first
    for its id)."""
    if link.id is None:
        link.passage_sealed = None
        session.add(link)
        session.flush()
    link.passage_sealed = seal_padded(_org_public(keyring), passage.encode(), _passage_place(link)) if passage else None
    link.set_opened({"passage": passage or None})


def open_passage(keyring: Keyring, link: RecordLink) -> RecordLink:
    if not link.is_opened:
        text = None
        if link.passage_sealed is not None:
            if not keyring.org:
                raise KeysError("not_unlocked")
            text = unseal_padded(keyring.recipient("org"), link.passage_sealed, _passage_place(link)).decode()
        link.set_opened({"passage": text})
    return link


def _note_place(note: CaseNote) -> bytes:
    return f"case_note.body:{note.id}:{note.case_id}".encode()


def seal_case_note(session: Session, note: CaseNote, body: str, keyring: Keyring) -> None:
    note.body_sealed = b""
    session.add(note)
    session.flush()
    note.body_sealed = seal_padded(_org_public(keyring), body.encode(), _note_place(note))
    note.set_opened({"body": body})


def open_case_note(keyring: Keyring, note: CaseNote) -> CaseNote:
    if not note.is_opened:
        if not keyring.org:
            raise KeysError("not_unlocked")
        note.set_opened({"body": unseal_padded(keyring.recipient("org"), note.body_sealed, _note_place(note)).decode()})
    return note
