"""AES-GCM encryption for identifying fields and for files at rest.

One master key (DATA_ENCRYPTION_KEY, 32 bytes, URL-safe base64) is split with HKDF into
separate keys for fields, files and receipt-code HMACs, so no key serves two purposes.

Files are encrypted in 1 MiB segments (a STREAM-like construction): each segment has its own
nonce (random prefix + counter) and the last segment is marked in the associated data, so
segments cannot be reordered, dropped or truncated without detection, and a large file can be
decrypted as a stream for downloads and exports.
"""
from __future__ import annotations

import base64
import binascii
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app

from config import ConfigurationError

FILE_MAGIC = b"MKS1"
SEGMENT = 1024 * 1024
NONCE_PREFIX = 8
TAG = 16


@dataclass(frozen=True)
class Keys:
    field: bytes
    file: bytes
    receipt: bytes


def parse_master_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode() + b"==")
    except (binascii.Error, ValueError) as exc:
        raise ConfigurationError("DATA_ENCRYPTION_KEY is not valid base64") from exc
    if len(key) != 32:
        raise ConfigurationError("DATA_ENCRYPTION_KEY must decode to exactly 32 bytes")
    return key


def derive_keys(master: bytes) -> Keys:
    def derive(label: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"moksori " + label).derive(master)

    return Keys(field=derive(b"field"), file=derive(b"file"), receipt=derive(b"receipt-hmac"))


def init_crypto(app: Flask) -> None:
    app.extensions["moksori_keys"] = derive_keys(parse_master_key(app.config["DATA_ENCRYPTION_KEY"]))


def _keys() -> Keys:
    return current_app.extensions["moksori_keys"]


def encrypt_field(plaintext: str, context: str) -> bytes:
    """Encrypt a short text; `context` (e.g. "submission.contact") binds it to its column."""
    nonce = os.urandom(12)
    return nonce + AESGCM(_keys().field).encrypt(nonce, plaintext.encode(), context.encode())


def decrypt_field(blob: bytes, context: str) -> str:
    return AESGCM(_keys().field).decrypt(blob[:12], blob[12:], context.encode()).decode()


def _segment_aad(index: int, last: bool) -> bytes:
    return FILE_MAGIC + struct.pack(">I?", index, last)


def encrypt_stream(source: BinaryIO, target: BinaryIO) -> None:
    aead = AESGCM(_keys().file)
    prefix = os.urandom(NONCE_PREFIX)
    target.write(FILE_MAGIC + prefix)
    index = 0
    chunk = source.read(SEGMENT)
    while True:
        following = source.read(SEGMENT)
        last = not following
        nonce = prefix + struct.pack(">I", index)
        target.write(aead.encrypt(nonce, chunk, _segment_aad(index, last)))
        if last:
            return
        chunk, index = following, index + 1


def decrypt_stream(source: BinaryIO) -> Iterator[bytes]:
    """Yield plaintext segments; raises InvalidTag if anything was altered or cut off."""
    aead = AESGCM(_keys().file)
    header = source.read(len(FILE_MAGIC) + NONCE_PREFIX)
    if not header.startswith(FILE_MAGIC):
        raise ValueError("not an encrypted Moksori file")
    prefix = header[len(FILE_MAGIC) :]
    index = 0
    block = source.read(SEGMENT + TAG)
    while True:
        following = source.read(SEGMENT + TAG)
        last = not following
        nonce = prefix + struct.pack(">I", index)
        yield aead.decrypt(nonce, block, _segment_aad(index, last))
        if last:
            return
        block, index = following, index + 1
