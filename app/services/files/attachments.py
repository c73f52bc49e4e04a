"""Accepting, storing and reading back attached files.

A file is checked (size, type by content), its metadata removed unless the submitter asked to
keep it (metadata.py says which types are cleaned and how), hashed, then encrypted under a random name in
UPLOAD_DIR with a key of its own derived from the submission's content key. The original
name is kept NFC-normalized and sealed in the database — never passed through
secure_filename(), which deletes Hangul (KOREAN.md §3.7).
"""
from __future__ import annotations

import contextlib
import hashlib
import secrets
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from app.models import Attachment, Submission
from app.sealed.commitments import commit_file
from app.sealed.sealing import ItemKey
from app.sealed.vault import seal_attachment
from app.services.files import metadata
from app.services.files.filetypes import FileType, Unreadable, detect
from app.services.refusal import Refused

MAX_NAME_LENGTH = 255


class UploadRejected(Refused):
    """Why a file cannot be accepted: reason is one of "too_large", "empty", "type", "damaged"."""


@dataclass
class PreparedFile:
    name: str
    data: bytes
    file_type: FileType
    received_sha256: str
    metadata_stripped: bool

    @property
    def sha256(self) -> str:
        """Of the bytes kept: unless metadata was stripped they are the bytes received, already
        hashed (a 20 MB video need not be hashed twice)."""
        return hashlib.sha256(self.data).hexdigest() if self.metadata_stripped else self.received_sha256


def clean_filename(name: str | None) -> str:
    """NFC, no path parts, no control characters; Hangul kept as typed."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:MAX_NAME_LENGTH] or "file"


def prepare(name: str | None, data: bytes, max_bytes: int, keep_metadata: bool) -> PreparedFile:
    """Check one upload and return what will be stored; raises UploadRejected."""
    if not data:
        raise UploadRejected("empty")
    if len(data) > max_bytes:
        raise UploadRejected("too_large")
    file_type = detect(data)
    if file_type is None:
        raise UploadRejected("type")
    received = hashlib.sha256(data).hexdigest()
    kept, stripped = data, False
    if not keep_metadata:
        try:
            cleaned = metadata.clean(data, file_type.media_type)
        except Unreadable as exc:
            raise UploadRejected("damaged") from exc
        if cleaned is not None:
            kept, stripped = cleaned, True
    return PreparedFile(clean_filename(name), kept, file_type, received, stripped)


def path_for(upload_dir: str, stored_name: str) -> Path:
    return Path(upload_dir) / stored_name[:2] / stored_name


class FileWrites:
    """The files one attempt to store a submission wrote: removed again when the attempt
    fails, so a database or disk fault leaves no file that no row names."""

    def __init__(self) -> None:
        self.paths: list[Path] = []

    def discard(self) -> None:
        for path in self.paths:
            with contextlib.suppress(OSError):  # a folder gone read-only: retention's orphan sweep
                path.unlink(missing_ok=True)
        self.paths.clear()



def store(
    session: Session,
    submission: Submission,
    prepared: PreparedFile,
    upload_dir: str,
    key: ItemKey,
    added_by: str = "submitter",
    message_id: int | None = None,
    writes: FileWrites | None = None,
) -> Attachment:
    """Encrypt to disk under the file's own key and add the row with the name sealed. The
    file's path is noted in `writes`, for removal if the transaction fails."""
    stored_name = secrets.token_hex(16)
    path = path_for(upload_dir, stored_name)
    key.write_file(path, prepared.data, stored_name)
    if writes is not None:
        writes.paths.append(path)
    attachment = Attachment(
        submission=submission,
        message_id=message_id,
        stored_name=stored_name,
        media_type=prepared.file_type.media_type,
        metadata_stripped=prepared.metadata_stripped,
        added_by=added_by,
    )
    seal_attachment(attachment, prepared.name, prepared.sha256, prepared.received_sha256, len(prepared.data), key)
    session.add(attachment)
    commit_file(session, attachment, prepared.sha256)  # for the next trusted timestamp
    return attachment


def read_chunks(stored_name: str, upload_dir: str, key: ItemKey) -> Iterator[bytes]:
    """The decrypted file, segment by segment (for downloads and exports)."""
    with open(path_for(upload_dir, stored_name), "rb") as handle:
        yield from key.file_chunks(handle, stored_name)


def read_bytes(attachment: Attachment, upload_dir: str, key: ItemKey) -> bytes:
    return b"".join(read_chunks(attachment.stored_name, upload_dir, key))
