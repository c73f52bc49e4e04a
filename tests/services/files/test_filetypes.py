"""File types are recognised by content, never by name: the allowed ones, and what is refused."""
from __future__ import annotations

import io
import zipfile

import pytest

from app.services.files.filetypes import ACCEPTED, detect
from tests.helpers import image_bytes


def office(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{kind}/document.xml", "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data, media_type",
    [
        (image_bytes("JPEG"), "image/jpeg"),
        (image_bytes("PNG"), "image/png"),
        (image_bytes("GIF"), "image/gif"),
        (image_bytes("WEBP"), "image/webp"),
        (image_bytes("AVIF"), "image/avif"),  # was taken for an MP4 video
        (b"%PDF-1.7\n...", "application/pdf"),
        (b"ID3\x04\x00" + b"\x00" * 20, "audio/mpeg"),
        (b"\x00\x00\x00\x20ftypisom" + b"\x00" * 20, "video/mp4"),
        (b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 20, "audio/mp4"),
        (b"\x1a\x45\xdf\xa3" + b"\x00" * 20, "video/webm"),
        (office("word"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (office("xl"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100 + b"HWP Document File", "application/x-hwp"),
        ("증언 메모입니다.".encode(), "text/plain"),
    ],
)
def test_allowed_types_are_recognised_by_content(data, media_type):
    assert detect(data).media_type == media_type
    assert detect(data) in ACCEPTED


@pytest.mark.parametrize(
    "data",
    [b"MZ\x90\x00\x03", b"\x7fELF\x02\x01", b"PK\x03\x04 not really a zip", b"<?php \x00 system($_GET[1]);",
     b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100],
)
def test_other_content_is_refused(data):
    assert detect(data) is None
