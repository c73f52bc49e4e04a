"""A backup file encrypted as a whole, to the organization's public key (SECURITY.md, "Backups").

    file   = "MKB1" ‖ u32 length of H ‖ H ‖ body
    H      = JSON header, in the clear: format, date, the org public key, the file key sealed to
             it, and the org private key's recovery wrap as it was when the backup was made
    body   = crypto.encrypt_stream(archive ‖ zeros) under HKDF(file key, "backup stream",
             salt = SHA-256(H)): 1 MiB segments, counter nonces, the segment index and the
             final flag in the associated data, padded to a size class

The file key is random, one per backup, and sealed to the org public key (crypto.seal, bound
to "backup.file_key"). The stream key depends on the whole header, so a changed header (another
sealed key, another recovery wrap) opens nothing. Opening needs the org private key; the header
carries its recovery wrap, so the recovery code that was current when the backup was made opens
it, even on a new server and after the code was rotated; where the installation's own wrap is at
hand (the server it was made on), today's code opens it as well. The archive is padded with zeros to
one eighth of its size class first (archive readers stop at the end-of-archive marker), so the
size shows the order of magnitude and not how much changed from one day to the next.

What the service passes in and gets back: an archive stream in, ciphertext out, and the other
way with a recovery code. No key leaves this module.
"""
from __future__ import annotations

import base64
import hashlib
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from sqlalchemy.orm import Session

from app.sealed import keys
from app.sealed.crypto import (
    KEY,
    NONCE,
    NONCE_PREFIX,
    PADDED_FILE_MAGIC,
    SEGMENT,
    TAG,
    decrypt_stream,
    encrypt_stream,
    hkdf,
    public_key_of,
    random_key,
    seal,
    unseal,
)

MAGIC = b"MKB1"
FORMAT = "moksori-backup/2"
FILE_KEY_PLACE = b"backup.file_key"
MAX_HEADER = 64 * 1024
SEALED_KEY_LENGTH = 1 + KEY + NONCE + KEY + TAG


class BackupKeyError(ValueError):
    """The file is not a backup, was cut short or altered, or the code does not open it."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def padded_archive_length(length: int) -> int:
    """The archive's length with its zeros: a multiple of an eighth of the next power of two
    (at least 1 MiB), so the size says little more than the order of magnitude."""
    step = max(SEGMENT, (1 << max(length, 1).bit_length()) // 8)
    return -(-length // step) * step


@dataclass(frozen=True)
class Header:
    raw: bytes
    fields: dict

    @property
    def org_public(self) -> bytes:
        return base64.b64decode(self.fields["org_public"])

    @property
    def recovery(self) -> dict:
        return self.fields["recovery"]

    def stream_key(self, file_key: bytes) -> bytes:
        return hkdf(file_key, b"backup stream", salt=hashlib.sha256(self.raw).digest())


def new_header(session: Session, date: str) -> tuple[Header, bytes]:
    """A header for a backup made now, and the file key (kept by the caller only while writing)."""
    row = keys.org_keys(session).get("org")
    if row is None:
        raise keys.KeysError("no_keys")
    file_key = random_key()
    fields = {"format": FORMAT, "date": date, "org_public": _b64(row.public_key),
              "sealed_key": _b64(seal(row.public_key, file_key, FILE_KEY_PLACE)),
              "recovery": {"wrapped": _b64(row.recovery_wrapped), "salt": _b64(row.recovery_salt),
                           "params": row.recovery_params,
                           "created_at": row.recovery_created_at.isoformat() if row.recovery_created_at else None}}
    raw = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return Header(raw, fields), file_key


def write(archive: BinaryIO, target: BinaryIO, header: Header, file_key: bytes) -> None:
    target.write(MAGIC + struct.pack(">I", len(header.raw)) + header.raw)
    encrypt_stream(archive, target, header.stream_key(file_key))


def read_header(source: BinaryIO) -> Header:
    start = source.read(len(MAGIC) + 4)
    if len(start) < len(MAGIC) + 4 or start[:len(MAGIC)] != MAGIC:
        raise BackupKeyError("not an encrypted Moksori backup (no MKB1 header)")
    (length,) = struct.unpack(">I", start[len(MAGIC):])
    raw = source.read(length) if length <= MAX_HEADER else b""
    try:
        fields = json.loads(raw)
        for name in ("org_public", "sealed_key"):
            base64.b64decode(fields[name], validate=True)
        whole = fields["format"] == FORMAT and all(fields["recovery"][n] for n in ("wrapped", "salt", "params"))
    except (ValueError, KeyError, TypeError):
        whole = False
    if not whole:
        raise BackupKeyError("the backup's header is cut short or unreadable")
    return Header(raw, fields)


def _private_key(header: Header, code: str, session: Session | None) -> bytes:
    """The org private key: from the header's recovery wrap (the code current when the backup
    was made), else from this installation's current wrap (the same key pair under a newer
    code: a rotation re-wraps the key, it does not replace it)."""
    recovery = header.recovery
    try:
        return keys.unwrap_recovery(code, base64.b64decode(recovery["wrapped"]), base64.b64decode(recovery["salt"]),
                                    recovery["params"], "org")
    except keys.KeysError:
        pass
    row = keys.org_keys(session).get("org") if session is not None else None
    if row is not None and row.public_key == header.org_public:
        try:
            return keys.unwrap_recovery(code, row.recovery_wrapped, row.recovery_salt, row.recovery_params, "org")
        except keys.KeysError:
            pass
    raise BackupKeyError("this recovery code does not open the backup (it opens with the code that was current "
                         "when it was made, or on this server with today's)")


def open_body(source: BinaryIO, code: str, session: Session | None = None) -> Iterator[bytes]:
    """The archive's plaintext in segments, read from the start of the file. Raises
    BackupKeyError for a wrong code or an altered header; a segment that was cut off or altered
    raises it while iterating. With `session`, today's recovery code of this installation opens
    older backups too."""
    header = read_header(source)
    private = _private_key(header, code, session)
    if public_key_of(private) != header.org_public:
        raise BackupKeyError("the backup's header was altered: its key does not match its recovery wrap")
    try:
        file_key = unseal(private, base64.b64decode(header.fields["sealed_key"]), FILE_KEY_PLACE)
    except (InvalidTag, ValueError):
        raise BackupKeyError("the backup's header was altered: its file key does not open") from None
    return _segments(source, header.stream_key(file_key))


def _segments(source: BinaryIO, key: bytes) -> Iterator[bytes]:
    try:
        yield from decrypt_stream(source, key)
    except (InvalidTag, ValueError):
        raise BackupKeyError("the backup was cut short or altered (a segment does not authenticate)") from None


def check_structure(source: BinaryIO, size: int, org_public: bytes | None) -> list[str]:
    """What can be checked without the private key: the header, its key, and that the body has
    the layout of a whole encrypted stream (no segment missing at the end)."""
    try:
        header = read_header(source)
    except BackupKeyError as error:
        return [str(error)]
    problems = []
    if len(base64.b64decode(header.fields["sealed_key"])) != SEALED_KEY_LENGTH:
        problems.append("the sealed file key has the wrong length")
    if org_public is not None and header.org_public != org_public:
        problems.append("the backup is sealed to another organization key than this installation's")
    body = size - (len(MAGIC) + 4 + len(header.raw))
    magic = source.read(len(PADDED_FILE_MAGIC))
    segments = body - len(PADDED_FILE_MAGIC) - NONCE_PREFIX
    last = segments % (SEGMENT + TAG)
    if magic != PADDED_FILE_MAGIC or segments <= TAG or 0 < last <= TAG:
        problems.append("the encrypted body is cut short or is not a whole stream")
    return problems
