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


def _ftyp(head: bytes) -> FileType | None:
    if head[4:8] != b"ftyp":
        return None
    brand = head[8:12]
    if brand in {b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"}:
        return FileType("image/heic", "heic", "image")
    if brand in {b"M4A ", b"M4B "}:
        return FileType("audio/mp4", "m4a", "audio")
    if brand.startswith(b"3g"):
        return FileType("video/3gpp", "3gp", "video")
    if brand == b"qt  ":
        return FileType("video/quicktime", "mov", "video")
    return FileType("video/mp4", "mp4", "video")


def _zip_container(data: bytes) -> FileType | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                odf = {
                    "application/vnd.oasis.opendocument.text": "odt",
                    "application/vnd.oasis.opendocument.spreadsheet": "ods",
                    "application/vnd.oasis.opendocument.presentation": "odp",
                    "application/hwp+zip": "hwpx",
                }
                if mimetype in odf:
                    return FileType(mimetype, odf[mimetype], "document")
            if "[Content_Types].xml" in names:
                for prefix, media_type, extension in (
                    ("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
                    ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
                    ("ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
                ):
                    if any(name.startswith(prefix) for name in names):
                        return FileType(media_type, extension, "document")
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return None
    return None  # other ZIP archives are not on the allow-list


def _ole_container(data: bytes) -> FileType | None:
    # Directory entries hold stream names in UTF-16LE.
    head = data[: 512 * 1024]
    if b"HWP Document File" in head or "FileHeader".encode("utf-16-le") in head:
        return FileType("application/x-hwp", "hwp", "document")
    if "WordDocument".encode("utf-16-le") in head:
        return FileType("application/msword", "doc", "document")
    if "Workbook".encode("utf-16-le") in head or "Book".encode("utf-16-le") in head:
        return FileType("application/vnd.ms-excel", "xls", "document")
    if "PowerPoint Document".encode("utf-16-le") in head:
        return FileType("application/vnd.ms-powerpoint", "ppt", "document")
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
    return FileType("text/plain", "txt", "text")


def detect(data: bytes) -> FileType | None:
    """The file's type, or None when it is not on the allow-list."""
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return FileType("image/jpeg", "jpg", "image")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileType("image/png", "png", "image")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return FileType("image/gif", "gif", "image")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FileType("image/webp", "webp", "image")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return FileType("audio/wav", "wav", "audio")
    if head.startswith(b"%PDF-"):
        return FileType("application/pdf", "pdf", "pdf")
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return FileType("audio/mpeg", "mp3", "audio")
    if head.startswith(b"OggS"):
        return FileType("audio/ogg", "ogg", "audio")
    if head.startswith(b"#!AMR"):
        return FileType("audio/amr", "amr", "audio")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return FileType("video/webm", "webm", "video")
    if head.startswith(b"{\\rtf"):
        return FileType("application/rtf", "rtf", "document")
    found = _ftyp(head)
    if found:
        return found
    if head.startswith(b"PK\x03\x04"):
        return _zip_container(data)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _ole_container(data)
    return _plain_text(data) if data else None
