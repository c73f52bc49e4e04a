"""How one submission is sealed (SECURITY.md, "Sealed submissions").

Every submission has its own random content key. Everything people wrote in it — the
account and the text facets, messages both ways, notes, reasons, file names and file bytes —
is AES-GCM-encrypted under that key, each value bound to its place ("message.body:<id>:<n>").
The content key itself is stored twice, never in the clear:

- sealed to the organization's public key: any unlocked staff session opens it;
- wrapped under a key derived from the receipt code (Argon2id with the installation's salt):
  the submitter opens it with the code, with no officer online.

The receipt code is looked up by the same Argon2id derivation (split by HKDF into a lookup
token and the wrapping key), so a stolen database gives no faster way to test codes than
computing Argon2id for each of the 10^16 codes.
"""
from __future__ import annotations

import base64
import contextlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models.base import in_transaction
from app.models.settings import Setting
from app.sealed.crypto import (
    KdfParams,
    aead_decrypt,
    aead_decrypt_either,
    aead_decrypt_padded,
    aead_encrypt,
    aead_encrypt_padded,
    decrypt_stream,
    derive_key,
    encrypt_stream,
    hkdf,
    padded_length,
    random_key,
    seal,
    seal_padded,
    unseal,
    unseal_padded,
)
from app.sealed.keys import Keyring, KeysError, kdf_params, public_key

RECEIPT_KDF = "receipt.kdf"


@dataclass(frozen=True)
class ItemKey:
    """The content key of one submission, with the submission's public id that every sealed
    value of it is bound to."""

    public_id: str
    key: bytes

    def _place(self, place: str) -> bytes:
        return f"{place}:{self.public_id}".encode()

    def seal(self, place: str, value: str | bytes) -> bytes:
        """AES-GCM under the content key, padded to the value's size class."""
        data = value.encode() if isinstance(value, str) else value
        return aead_encrypt_padded(self.key, data, self._place(place))

    def open(self, place: str, blob: bytes) -> bytes:
        return aead_decrypt_padded(self.key, blob, self._place(place))

    def open_either(self, place: str, blob: bytes) -> tuple[bytes, bool]:
        """The value, and whether it was sealed padded (flask keys pad-existing asks)."""
        return aead_decrypt_either(self.key, blob, self._place(place))

    def open_text(self, place: str, blob: bytes | None) -> str | None:
        return None if blob is None else self.open(place, blob).decode()

    def seal_json(self, place: str, value: dict) -> bytes:
        return self.seal(place, json.dumps(value, ensure_ascii=False, sort_keys=True))

    def open_json(self, place: str, blob: bytes) -> dict:
        return json.loads(self.open(place, blob))

    def file_key(self, stored_name: str) -> bytes:
        """One key per file, so no two files share a key and nonce prefix."""
        return hkdf(self.key, f"file {stored_name}:{self.public_id}".encode())

    def encrypt_file(self, source: BinaryIO, target: BinaryIO, stored_name: str) -> None:
        """A file under its own key, padded to its size class (SECURITY.md, "Sizes")."""
        encrypt_stream(source, target, self.file_key(stored_name))

    def write_file(self, path: Path, data: bytes, stored_name: str) -> None:
        """The file encrypted to `path`: written to a .part file, synced, then renamed into
        place; on any failure (a full or read-only disk) the .part file is removed, so a
        half-written file never stays and an earlier one at `path` is left whole."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".part")
        try:
            with open(temporary, "wb") as handle:
                self.encrypt_file(io.BytesIO(data), handle, stored_name)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            raise

    def file_chunks(self, source: BinaryIO, stored_name: str) -> Iterator[bytes]:
        """The decrypted file, segment by segment; raises InvalidTag if it was altered."""
        return decrypt_stream(source, self.file_key(stored_name))


def new_item_key(public_id: str) -> ItemKey:
    return ItemKey(public_id, random_key())


def _key_place(public_id: str) -> bytes:
    return f"submission.key:{public_id}".encode()


def _receipt_place(public_id: str) -> bytes:
    return f"submission.receipt_key:{public_id}".encode()


def seal_for_org(session: Session, item_key: ItemKey) -> bytes:
    """The content key sealed to the organization's public key (raises KeysError "no_keys")."""
    return seal_key_to(public_key(session, "org"), item_key)


def seal_key_to(org_public: bytes, item_key: ItemKey) -> bytes:
    return seal(org_public, item_key.key, _key_place(item_key.public_id))


def open_for_org(keyring: Keyring, public_id: str, sealed_key: bytes) -> ItemKey:
    if not keyring.org:
        raise KeysError("not_unlocked")
    return ItemKey(public_id, unseal(keyring.recipient("org"), sealed_key, _key_place(public_id)))


@dataclass(frozen=True)
class ReceiptSecret:
    """What a receipt code derives to: the look-up token stored with the submission, and the
    key that wraps its content key. Neither is the code."""

    derived: bytes

    @cached_property
    def lookup(self) -> str:
        return hkdf(self.derived, b"receipt lookup").hex()

    @cached_property
    def wrap_key(self) -> bytes:
        return hkdf(self.derived, b"receipt wrap")

    def wrap(self, item_key: ItemKey) -> bytes:
        return aead_encrypt(self.wrap_key, item_key.key, _receipt_place(item_key.public_id))

    def open(self, public_id: str, wrapped: bytes) -> ItemKey:
        return ItemKey(public_id, aead_decrypt(self.wrap_key, wrapped, _receipt_place(public_id)))


def _rewrap_place(public_id: str) -> bytes:
    return f"submission.receipt_rewrap:{public_id}".encode()


def seal_receipt_secret(org_public: bytes, public_id: str, secret: ReceiptSecret) -> bytes:
    """A legacy receipt code's secret, waiting sealed to the org key for an officer session to
    wrap the submission's content key with it (services/intake/reports.py)."""
    return seal(org_public, secret.derived, _rewrap_place(public_id))


def open_receipt_secret(keyring: Keyring, public_id: str, sealed: bytes) -> ReceiptSecret:
    if not keyring.org:
        raise KeysError("not_unlocked")
    return ReceiptSecret(unseal(keyring.recipient("org"), sealed, _rewrap_place(public_id)))


def stored_size(length: int) -> int:
    """What a copy shows of a file of `length` bytes: its size class."""
    return padded_length(length)


def receipt_kdf(session: Session) -> tuple[bytes, KdfParams]:
    """The installation's receipt salt and Argon2id parameters, created on first use."""
    row = session.get(Setting, RECEIPT_KDF)
    if row is None:
        value = {"salt": base64.b64encode(os.urandom(16)).decode(), "params": kdf_params().to_json()}
        try:
            with session.begin_nested():
                session.add(Setting(key=RECEIPT_KDF, value=json.dumps(value)))
        except IntegrityError:  # another request created it first
            pass
        row = session.get(Setting, RECEIPT_KDF)
        if row is None:  # just written, by this request or a concurrent one
            raise RuntimeError("the receipt look-up salt was written but cannot be read")
    value = json.loads(row.value)
    return base64.b64decode(value["salt"]), KdfParams.from_json(value["params"])


def receipt_secret(session: Session, code: str) -> ReceiptSecret:
    """The secret of a receipt code: Argon2id, 64 MiB and ~140 ms of a core (seconds on a loaded
    machine). When `session` has no transaction open, the one that reads the salt is ended
    before deriving: on SQLite every transaction holds the write lock (app/database.py), and
    with the derivation inside it concurrent reports and receipt entries waited for each other's
    Argon2id, some past the busy timeout. Callers that create a submission derive first
    (reports.new_receipt) for the same reason."""
    # Nothing else may be committed with it: only a session with no transaction and no changes.
    opened_here = not in_transaction(session) and not (session.new or session.dirty or session.deleted)
    salt, params = receipt_kdf(session)
    if opened_here:
        session.commit()  # only the salt was read (or created, which must be kept anyway)
    return ReceiptSecret(derive_key(code, salt, params))


def identity_public_key(session: Session) -> bytes:
    return public_key(session, "identity")


def seal_for_identity(session: Session, public_id: str, value: dict) -> bytes:
    """Contact details: sealed to the identity key, which only accounts that may contact
    submitters hold (not to the content key: a receipt code does not open them)."""
    data = json.dumps(value, ensure_ascii=False, sort_keys=True).encode()
    return seal_padded(identity_public_key(session), data, f"submission.contact:{public_id}".encode())


def open_for_identity(keyring: Keyring, public_id: str, sealed: bytes) -> dict:
    if not keyring.identity:
        raise KeysError("not_unlocked")
    return json.loads(unseal_padded(keyring.recipient("identity"), sealed, f"submission.contact:{public_id}".encode()))

