"""Cryptographic primitives, all from `cryptography` and `argon2-cffi` (SECURITY.md explains
how they are put together; nothing here knows about submissions or users):

- aead_encrypt/aead_decrypt: AES-256-GCM with a random 96-bit nonce and associated data that
  binds a value to its place (table, column, row).
- seal/unseal: encryption to an X25519 public key — an ephemeral key pair per value, the
  shared secret through HKDF-SHA256 (salted with both public keys), then AES-256-GCM. Only the
  holder of the private key can open it; the server stores public keys only.
- derive_key: Argon2id (RFC 9106) of a low-entropy secret (password, receipt code, recovery
  code) into a 32-byte key, with its salt and recorded parameters; hkdf splits a key by purpose.
- Ed25519 signatures (RFC 8032): the organization's signature over a case file's manifest;
  public keys travel as PEM (SubjectPublicKeyInfo), which `openssl pkeyutl` reads.
- encrypt_stream/decrypt_stream: files in 1 MiB segments (a STREAM-like construction): each
  segment has its own nonce (random prefix + counter) and the last one is marked in the
  associated data, so segments cannot be reordered, dropped or truncated without detection,
  and a large file is decrypted as a stream for downloads and exports.

What the installation key DATA_ENCRYPTION_KEY protects is in installation.py.
"""
from __future__ import annotations

import hmac
import json
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FILE_MAGIC = b"MKS1"  # files written before padding
PADDED_FILE_MAGIC = b"MKS2"
SEGMENT = 1024 * 1024
NONCE_PREFIX = 8
TAG = 16
NONCE = 12
KEY = 32
SEAL_VERSION = b"\x01"


# --- keys and key derivation -------------------------------------------------------------

def random_key() -> bytes:
    return os.urandom(KEY)


def hkdf(key: bytes, info: bytes, length: int = KEY, salt: bytes | None = None) -> bytes:
    """A key for one purpose (`info`) from a uniformly random key."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=b"moksori " + info).derive(key)


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters, stored beside every salt so they can be raised later."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 1

    def to_json(self) -> str:
        return json.dumps({"t": self.time_cost, "m": self.memory_kib, "p": self.parallelism}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> KdfParams:
        values = json.loads(text)
        return cls(int(values["t"]), int(values["m"]), int(values["p"]))


def derive_key(secret: str | bytes, salt: bytes, params: KdfParams) -> bytes:
    """Argon2id of a secret a person holds (password, receipt code, recovery code): 32 bytes
    that cost `params` to compute for every guess."""
    data = secret.encode() if isinstance(secret, str) else secret
    return hash_secret_raw(data, salt, time_cost=params.time_cost, memory_cost=params.memory_kib,
                           parallelism=params.parallelism, hash_len=KEY, type=Type.ID)


# --- sizes ---------------------------------------------------------------------------------
#
# A sealed value or file shows its length only to a class: 256-byte steps up to 4 KiB (short
# texts, names, messages), powers of two up to 1 MiB (long accounts, photos), whole MiB beyond
# (recordings, videos). The plaintext is padded ISO/IEC 7816-4 style, 0x80 then zeros, so the
# padding is removed without storing the length. A padded value is bound to associated data
# that starts with PADDED, so that it is never taken for a value sealed before padding existed.

PADDED = b"padded:"
MIB = 1024 * 1024


def size_class(length: int) -> int:
    """The size at rest of `length` bytes of padded plaintext (the marker byte included)."""
    if length <= 4096:
        return max(256, -(-length // 256) * 256)
    if length <= MIB:
        return 1 << (length - 1).bit_length()
    return -(-length // MIB) * MIB


def padded_length(length: int) -> int:
    return size_class(length + 1)


def pad(data: bytes) -> bytes:
    return data + b"\x80" + bytes(padded_length(len(data)) - len(data) - 1)


def unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\0")
    if not stripped.endswith(b"\x80"):
        raise ValueError("padding is damaged")
    return stripped[:-1]


# --- authenticated encryption with an explicit key ---------------------------------------

def aead_encrypt(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """nonce ‖ ciphertext ‖ tag; `aad` (e.g. b"message.body:AB12CD34EF:7") binds it to its place."""
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def aead_decrypt(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """Raises cryptography.exceptions.InvalidTag for a wrong key, a wrong place or any change."""
    return AESGCM(key).decrypt(blob[:NONCE], blob[NONCE:], aad)


def aead_encrypt_padded(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """aead_encrypt of the plaintext padded to its size class."""
    return aead_encrypt(key, pad(plaintext), PADDED + aad)


def aead_decrypt_padded(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """A padded value, or one sealed before padding existed (bound to `aad` alone)."""
    return aead_decrypt_either(key, blob, aad)[0]


def aead_decrypt_either(key: bytes, blob: bytes, aad: bytes) -> tuple[bytes, bool]:
    """The value, and whether it was sealed padded (False: before padding existed)."""
    try:
        return unpad(aead_decrypt(key, blob, PADDED + aad)), True
    except InvalidTag:
        return aead_decrypt(key, blob, aad), False


def is_padded(key: bytes, blob: bytes, aad: bytes) -> bool:
    """Whether a value under `key` was sealed padded (not before padding existed)."""
    return aead_decrypt_either(key, blob, aad)[1]


class Aead:
    """AES-256-GCM under one key for many values (the key schedule is made once): the same
    format as aead_encrypt, nonce ‖ ciphertext ‖ tag, with a random nonce per value."""

    def __init__(self, key: bytes):
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE)
        return nonce + self._aead.encrypt(nonce, plaintext, aad)

    def decrypt(self, blob: bytes, aad: bytes) -> bytes:
        return self._aead.decrypt(blob[:NONCE], blob[NONCE:], aad)


def prf(key: bytes, data: bytes) -> bytes:
    """HMAC-SHA256: a pseudorandom function of `data` under `key` (labels of the search index)."""
    return hmac.digest(key, data, "sha256")


# --- signatures (Ed25519) -----------------------------------------------------------------

def generate_signing_keypair() -> tuple[bytes, bytes]:
    """(private, public), 32 raw bytes each."""
    private = Ed25519PrivateKey.generate()
    return private.private_bytes_raw(), private.public_key().public_bytes_raw()


def sign(private: bytes, data: bytes) -> bytes:
    """A pure Ed25519 signature (64 bytes) over `data` itself, as `openssl pkeyutl -rawin` checks."""
    return Ed25519PrivateKey.from_private_bytes(private).sign(data)


def signature_valid(public: bytes, data: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def signing_public_der(public: bytes) -> bytes:
    """SubjectPublicKeyInfo DER: what `openssl pkey -pubin -outform DER` writes (fingerprints)."""
    return Ed25519PublicKey.from_public_bytes(public).public_bytes(serialization.Encoding.DER,
                                                                  serialization.PublicFormat.SubjectPublicKeyInfo)


def signing_public_pem(public: bytes) -> str:
    return Ed25519PublicKey.from_public_bytes(public).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def signing_public_from_pem(pem: bytes) -> bytes:
    """The raw public key of an Ed25519 PEM; ValueError for anything else."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key.public_bytes_raw()


# --- sealing to a public key (X25519) ------------------------------------------------------

def generate_keypair() -> tuple[bytes, bytes]:
    """(private, public), 32 raw bytes each."""
    private = X25519PrivateKey.generate()
    return private.private_bytes_raw(), private.public_key().public_bytes_raw()


def public_key_of(private: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def _seal_key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    return hkdf(shared, b"seal v1", salt=ephemeral_public + recipient_public)


def seal(recipient_public: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """version ‖ ephemeral public key ‖ AES-GCM(nonce ‖ ciphertext ‖ tag)."""
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_public))
    key = _seal_key(shared, ephemeral_public, recipient_public)
    return SEAL_VERSION + ephemeral_public + aead_encrypt(key, plaintext, aad)


class Recipient:
    """A private key made ready to open many sealed values (a page of the queue opens a hundred):
    the key object and its public half are computed once. Kept for one request at most
    (keys.Keyring), never in a cache of the process."""

    def __init__(self, private: bytes):
        self._key = X25519PrivateKey.from_private_bytes(private)
        self.public = self._key.public_key().public_bytes_raw()

    def unseal(self, blob: bytes, aad: bytes) -> bytes:
        if blob[:1] != SEAL_VERSION:
            raise ValueError("not a sealed value of a known version")
        ephemeral_public = blob[1:1 + KEY]
        shared = self._key.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        return aead_decrypt(_seal_key(shared, ephemeral_public, self.public), blob[1 + KEY:], aad)


def unseal(recipient: bytes | Recipient, blob: bytes, aad: bytes) -> bytes:
    return (recipient if isinstance(recipient, Recipient) else Recipient(recipient)).unseal(blob, aad)


def seal_padded(recipient_public: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """seal() of the plaintext padded to its size class."""
    return seal(recipient_public, pad(plaintext), PADDED + aad)


def is_padded_seal(recipient: bytes | Recipient, blob: bytes, aad: bytes) -> bool:
    """Whether a sealed value was sealed padded (not before padding existed)."""
    return unseal_either(recipient, blob, aad)[1]


def file_is_padded(header: bytes) -> bool:
    """Whether an encrypted file (its first bytes) was written padded."""
    return header.startswith(PADDED_FILE_MAGIC)


def unseal_padded(recipient: bytes | Recipient, blob: bytes, aad: bytes) -> bytes:
    """A padded sealed value, or one sealed before padding existed."""
    return unseal_either(recipient, blob, aad)[0]


def unseal_either(recipient: bytes | Recipient, blob: bytes, aad: bytes) -> tuple[bytes, bool]:
    """The sealed value, and whether it was sealed padded (False: before padding existed)."""
    try:
        return unpad(unseal(recipient, blob, PADDED + aad)), True
    except InvalidTag:
        return unseal(recipient, blob, aad), False


def _segment_aad(index: int, last: bool) -> bytes:
    return FILE_MAGIC + struct.pack(">I?", index, last)


def _padded_segments(source: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    """The source in SEGMENT-sized pieces, the end padded to the size class (marker and zeros
    always in the last piece), each with whether it is the last."""
    written, chunk = 0, source.read(SEGMENT)
    while True:
        following = source.read(SEGMENT)
        if following:
            yield chunk, False
            written, chunk = written + len(chunk), following
            continue
        total = written + len(chunk)
        final = chunk + b"\x80" + bytes(padded_length(total) - total - 1)
        pieces = [final[i:i + SEGMENT] for i in range(0, len(final), SEGMENT)]
        for index, piece in enumerate(pieces):
            yield piece, index == len(pieces) - 1
        return


def encrypt_stream(source: BinaryIO, target: BinaryIO, key: bytes, padded: bool = True) -> None:
    """Encrypt a file under `key` (one per file: see sealing.ItemKey.file_key), padded to its
    size class; unpadded in the format of files written before padding (tests of old data)."""
    if padded:
        _encrypt_segments(_padded_segments(source), target, AESGCM(key), PADDED_FILE_MAGIC)
    else:
        _encrypt_segments(_plain_segments(source), target, AESGCM(key), FILE_MAGIC)


def _plain_segments(source: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    chunk = source.read(SEGMENT)
    while True:
        following = source.read(SEGMENT)
        yield chunk, not following
        if not following:
            return
        chunk = following


def _encrypt_segments(segments: Iterator[tuple[bytes, bool]], target: BinaryIO, aead: AESGCM, magic: bytes) -> None:
    prefix = os.urandom(NONCE_PREFIX)
    target.write(magic + prefix)
    for index, (chunk, last) in enumerate(segments):
        nonce = prefix + struct.pack(">I", index)
        target.write(aead.encrypt(nonce, chunk, _segment_aad(index, last)))


def encrypted_size(length: int) -> int:
    """The size on disk of a file of `length` bytes (padded): what a copy of the server sees."""
    padded = padded_length(length)
    return len(PADDED_FILE_MAGIC) + NONCE_PREFIX + padded + TAG * -(-padded // SEGMENT)


def decrypt_stream(source: BinaryIO, key: bytes) -> Iterator[bytes]:
    """Yield plaintext segments (the padding removed); raises InvalidTag if anything was
    altered or cut off."""
    aead = AESGCM(key)
    header = source.read(len(FILE_MAGIC) + NONCE_PREFIX)
    magic = header[:len(FILE_MAGIC)]
    if magic not in (FILE_MAGIC, PADDED_FILE_MAGIC):
        raise ValueError("not an encrypted Moksori file")
    prefix = header[len(FILE_MAGIC) :]
    index = 0
    block = source.read(SEGMENT + TAG)
    while True:
        following = source.read(SEGMENT + TAG)
        last = not following
        nonce = prefix + struct.pack(">I", index)
        plain = aead.decrypt(nonce, block, _segment_aad(index, last))
        yield unpad(plain) if last and magic == PADDED_FILE_MAGIC else plain
        if last:
            return
        block, index = following, index + 1
