"""Salted commitments to pieces of evidence, for trusted timestamps (SECURITY.md, "Trusted
timestamps"; the batches are services/evidence/timestamps.py).

At intake every piece gets 32 fresh random bytes of salt:

    leaf data = salt ‖ SHA-256(piece bytes)       leaf hash = SHA-256(0x00 ‖ leaf data)

The salt is sealed to the org public key, bound to its piece ("timestamp.salt:<piece>");
only the leaf hash is kept in the clear. Without the salt a leaf hash is unrelated to the
piece: two identical photos give unrelated leaves, and someone who holds a known photo and a
copy of the server cannot confirm that it was sent. With the salt (an officer's session, or
the recovery code) the piece's proof can be shown to anyone who has the piece.

The pieces, as bytes:
    account   the submission as it was at intake, as canonical JSON (UTF-8, keys sorted, no
              spaces): texts, facet codes, categories, consents. Contact details are not in it:
              they stay under the identity key. These bytes are kept sealed under the
              submission's content key, so a later recoding does not change what was committed.
    file      the file's bytes as kept (after metadata removal), hashed once at upload
    message   canonical JSON of a later message (submission, message id, author, body)
"""
from __future__ import annotations

import hashlib
import json
import os
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.facets import FACETS
from app.models import Attachment, Message, Submission, TimestampPiece
from app.sealed.crypto import seal_padded, unseal_padded
from app.sealed.keys import Keyring, KeysError, public_key
from app.sealed.sealing import ItemKey
from app.sealed.vault import CONTENT_FIELDS
from app.services.merkle import leaf_hash

SALT_SIZE = 32
COLUMN_FACETS = tuple(facet.name for facet in FACETS if not facet.sealed)
CONSENTS = ("consent_un", "consent_accountability", "consent_publication", "may_contact", "keep_image_metadata")


def canonical_json(value: dict[str, Any]) -> bytes:
    def plain(item: Any) -> str:
        if isinstance(item, datetime | date):
            return item.isoformat()
        raise TypeError(f"not JSON: {type(item).__name__}")
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=plain).encode()


def leaf_for(salt: bytes, digest: bytes) -> bytes:
    """The leaf hash of a piece whose SHA-256 is `digest`, under `salt`."""
    return leaf_hash(salt + digest)


def account_bytes(item: Submission) -> bytes:
    """An opened submission as it is now (at intake: as it arrived), as canonical JSON."""
    return canonical_json({
        "piece": "account", "submission": item.public_id, "kind": item.kind, "locale": item.locale,
        "received": item.created_at,
        "texts": {name: item.opened(name) for name in CONTENT_FIELDS},
        "facets": {name: getattr(item, name) for name in (*COLUMN_FACETS, "contact_topic", "contact_language")},
        "categories": sorted(category.code for category in item.categories),
        "consents": {name: bool(getattr(item, name)) for name in CONSENTS},
    })


def message_bytes(message: Message, body: str) -> bytes:
    return canonical_json({"piece": "message", "submission": message.submission.public_id, "message": message.id,
                           "author": message.author, "body": body})


def _place(piece: TimestampPiece, public_id: str) -> bytes:
    if piece.kind == "file":
        which = piece.attachment.stored_name if piece.attachment else ""
    elif piece.kind == "message":
        which = str(piece.message_id)
    else:
        which = ""
    return f"timestamp.salt:{piece.kind}:{which}:{public_id}".encode()


def _commit(session: Session, piece: TimestampPiece, public_id: str, digest: bytes) -> TimestampPiece:
    salt = os.urandom(SALT_SIZE)
    piece.salt_sealed = seal_padded(public_key(session, "org"), salt, _place(piece, public_id))
    piece.leaf_hash = leaf_for(salt, digest)
    session.add(piece)
    return piece


def commit_account(session: Session, item: Submission, key: ItemKey) -> TimestampPiece:
    """The account of a new submission (flushed, opened): committed, and its bytes sealed."""
    data = account_bytes(item)
    piece = TimestampPiece(submission_id=item.id, kind="account",
                           account_sealed=key.seal("timestamp.account", data))
    return _commit(session, piece, item.public_id, hashlib.sha256(data).digest())


def commit_file(session: Session, attachment: Attachment, sha256_hex: str) -> TimestampPiece:
    """A stored file, by the SHA-256 of its bytes as kept (computed once at upload)."""
    piece = TimestampPiece(submission=attachment.submission, kind="file", attachment=attachment)
    return _commit(session, piece, attachment.submission.public_id, bytes.fromhex(sha256_hex))


def commit_message(session: Session, message: Message, body: str) -> TimestampPiece:
    """A later message (flushed: its id is part of the piece), either author."""
    piece = TimestampPiece(submission_id=message.submission_id, kind="message", message_id=message.id)
    return _commit(session, piece, message.submission.public_id, hashlib.sha256(message_bytes(message, body)).digest())


def open_salt(keyring: Keyring, piece: TimestampPiece) -> bytes:
    if not keyring.org:
        raise KeysError("not_unlocked")
    return unseal_padded(keyring.recipient("org"), piece.salt_sealed, _place(piece, piece.submission.public_id))


def open_account(key: ItemKey, piece: TimestampPiece) -> bytes:
    """The exact bytes an account piece committed to."""
    if piece.account_sealed is None:
        raise ValueError("not an account piece")
    return key.open("timestamp.account", piece.account_sealed)
