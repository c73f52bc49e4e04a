"""What the installation key DATA_ENCRYPTION_KEY protects: only what the server must use on its
own, with no officer logged in.

- TOTP secrets of staff accounts (the login's second step happens before any key is unlocked);
- the MACs of the audit chain and of its checkpoints (services/audit.py): a key the database
  does not hold, so a database alone cannot be rewritten unnoticed;
- reading what versions before sealing wrote (legacy fields, files and receipt-code HMACs),
  until `flask keys seal-existing` has sealed it;
- a check value that tells whether a backup was made with the same key.

It opens no testimony: a copy of the server with its configuration shows no sealed value
(tests/test_seized_server.py tries every key derived here).
"""
from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from flask import Flask, current_app

from app.sealed.crypto import aead_decrypt, aead_encrypt, decrypt_stream, encrypt_stream, hkdf
from config import ConfigurationError

TOTP_PLACE = "user.totp_secret"


@dataclass(frozen=True)
class Keys:
    field: bytes
    file: bytes
    receipt: bytes
    audit: bytes  # keys the audit chain (services/audit.py): a key the database does not hold


def parse_master_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode() + b"==")
    except (binascii.Error, ValueError) as exc:
        raise ConfigurationError("DATA_ENCRYPTION_KEY is not valid base64") from exc
    if len(key) != 32:
        raise ConfigurationError("DATA_ENCRYPTION_KEY must decode to exactly 32 bytes")
    return key


def derive_keys(master: bytes) -> Keys:
    return Keys(field=hkdf(master, b"field"), file=hkdf(master, b"file"), receipt=hkdf(master, b"receipt-hmac"),
                audit=hkdf(master, b"audit chain"))


def init_app(app: Flask) -> None:
    app.extensions["moksori_keys"] = derive_keys(parse_master_key(app.config["DATA_ENCRYPTION_KEY"]))


def _keys() -> Keys:
    return current_app.extensions["moksori_keys"]


def audit_key() -> bytes:
    """The key of the audit chain's MACs."""
    return _keys().audit


def checkpoint_key() -> bytes:
    """The key of the MACs on audit checkpoints kept off the server."""
    return hkdf(audit_key(), b"audit checkpoint")


def receipt_hmac_key() -> bytes:
    """The key of the receipt-code HMACs that submissions from before sealing were found by."""
    return _keys().receipt


def key_check() -> str:
    """A value that shows whether two instances share a data key, without revealing it."""
    return hmac.new(_keys().field, b"moksori backup key check", "sha256").hexdigest()[:16]


def seal_totp_secret(secret: str) -> bytes:
    return aead_encrypt(_keys().field, secret.encode(), TOTP_PLACE.encode())


def open_totp_secret(blob: bytes) -> str:
    return aead_decrypt(_keys().field, blob, TOTP_PLACE.encode()).decode()


def open_legacy_field(blob: bytes, place: str) -> str:
    """A field written before sealing, under the installation key, bound to its column."""
    return aead_decrypt(_keys().field, blob, place.encode()).decode()


def legacy_file_chunks(source: BinaryIO) -> Iterator[bytes]:
    """A file written before sealing (under the installation's file key)."""
    return decrypt_stream(source, _keys().file)


def write_legacy_file(source: BinaryIO, target: BinaryIO) -> None:
    """A file as versions before sealing wrote it: only tests of the upgrade need this."""
    encrypt_stream(source, target, _keys().file, padded=False)
