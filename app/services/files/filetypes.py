"""Decide a file's type from its content, against an allow-list.

The name and the browser's Content-Type are never trusted: a file is accepted only when its
first bytes match one of the formats below. Office formats are ZIP or OLE containers, so
their inner structure is checked too.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class FileType:
    media_type: str
    extension: str
    group: str  # image, pdf, audio, video, document, text


class Unreadable(ValueError):
    """The bytes begin like an accepted type but its structure cannot be read (so neither
    cleaned of metadata)."""


# Every type detect() can return: the allow-list (metadata.py says how each is cleaned).
ACCEPTED = (
    FileType("image/jpeg", "jpg", "image"),
    FileType("image/png", "png", "image"),
    FileType("image/gif", "gif", "image"),
    FileType("image/webp", "webp", "image"),
    FileType("image/heic", "heic", "image"),
    FileType("image/avif", "avif", "image"),
    FileType("application/pdf", "pdf", "pdf"),
    FileType("audio/wav", "wav", "audio"),
    FileType("audio/mpeg", "mp3", "audio"),
    FileType("audio/ogg", "ogg", "audio"),
    FileType("audio/amr", "amr", "audio"),
    FileType("audio/mp4", "m4a", "audio"),
    FileType("video/mp4", "mp4", "video"),
    FileType("video/3gpp", "3gp", "video"),
    FileType("video/quicktime", "mov", "video"),
    FileType("video/webm", "webm", "video"),
    FileType("application/rtf", "rtf", "document"),
    FileType("application/vnd.oasis.opendocument.text", "odt", "document"),
    FileType("application/vnd.oasis.opendocument.spreadsheet", "ods", "document"),
    FileType("application/vnd.oasis.opendocument.presentation", "odp", "document"),
    FileType("application/hwp+zip", "hwpx", "document"),
    FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "document"),
    FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "document"),
    FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx", "document"),
    FileType("application/x-hwp", "hwp", "document"),
    FileType("application/msword", "doc", "document"),
    FileType("application/vnd.ms-excel", "xls", "document"),
    FileType("application/vnd.ms-powerpoint", "ppt", "document"),
    FileType("text/plain", "txt", "text"),
)
_BY_EXTENSION = {file_type.extension: file_type for file_type in ACCEPTED}


def _ftyp(head: bytes) -> FileType | None:
    if head[4:8] != b"ftyp":
        return None
    brand = head[8:12]
    if brand in {b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"}:
        return _BY_EXTENSION["heic"]
    if brand in {b"avif", b"avis"}:  # AV1 photos (newer Android phones): HEIF's structure too
        return _BY_EXTENSION["avif"]
    if brand in {b"M4A ", b"M4B "}:
        return _BY_EXTENSION["m4a"]
    if brand.startswith(b"3g"):
        return _BY_EXTENSION["3gp"]
    if brand == b"qt  ":
        return _BY_EXTENSION["mov"]
    return _BY_EXTENSION["mp4"]


def _zip_container(data: bytes) -> FileType | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                for extension in ("odt", "ods", "odp", "hwpx"):
                    if _BY_EXTENSION[extension].media_type == mimetype:
                        return _BY_EXTENSION[extension]
            if "[Content_Types].xml" in names:
                for prefix, extension in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
                    if any(name.startswith(prefix) for name in names):
                        return _BY_EXTENSION[extension]
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return None
    return None  # other ZIP archives are not on the allow-list


def _ole_container(data: bytes) -> FileType | None:
    # Directory entries hold stream names in UTF-16LE.
    head = data[: 512 * 1024]
    if b"HWP Document File" in head or "FileHeader".encode("utf-16-le") in head:
        return _BY_EXTENSION["hwp"]
    if "WordDocument".encode("utf-16-le") in head:
        return _BY_EXTENSION["doc"]
    if "Workbook".encode("utf-16-le") in head or "Book".encode("utf-16-le") in head:
        return _BY_EXTENSION["xls"]
    if "PowerPoint Document".encode("utf-16-le") in head:
        return _BY_EXTENSION["ppt"]
    return None


# Control characters other than tab, line feed, carriage return and form feed, and DEL.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _plain_text(data: bytes) -> FileType | None:
    sample = data[:65536]
    if _CONTROL_BYTES.search(sample):
        return None  # binary content: executables and unknown formats are not text
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(sample) - 4:  # a cut in the middle of the last character is fine
            return None
    return _BY_EXTENSION["txt"]


def detect(data: bytes) -> FileType | None:
    """The file's type, or None when it is not on the allow-list."""
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return _BY_EXTENSION["jpg"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _BY_EXTENSION["png"]
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return _BY_EXTENSION["gif"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _BY_EXTENSION["webp"]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return _BY_EXTENSION["wav"]
    if head.startswith(b"%PDF-"):
        return _BY_EXTENSION["pdf"]
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return _BY_EXTENSION["mp3"]
    if head.startswith(b"OggS"):
        return _BY_EXTENSION["ogg"]
    if head.startswith(b"#!AMR"):
        return _BY_EXTENSION["amr"]
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return _BY_EXTENSION["webm"]
    if head.startswith(b"{\\rtf"):
        return _BY_EXTENSION["rtf"]
    found = _ftyp(head)
    if found:
        return found
    if head.startswith(b"PK\x03\x04"):
        return _zip_container(data)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _ole_container(data)
    return _plain_text(data) if data else None
