from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from app.services.files.attachments import UploadRejected, clean_filename, prepare
from app.services.files.filetypes import detect
from app.services.files.image_metadata import strip_png


def image_bytes(fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buffer, fmt, **params)
    return buffer.getvalue()


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


@pytest.mark.parametrize(
    "data",
    [b"MZ\x90\x00\x03", b"\x7fELF\x02\x01", b"PK\x03\x04 not really a zip", b"<?php \x00 system($_GET[1]);",
     b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100],
)
def test_other_content_is_refused(data):
    assert detect(data) is None


def test_prepare_rejects_with_reasons():
    with pytest.raises(UploadRejected) as empty:
        prepare("a.txt", b"", 10, False)
    assert empty.value.reason == "empty"
    with pytest.raises(UploadRejected) as large:
        prepare("a.txt", b"x" * 11, 10, False)
    assert large.value.reason == "too_large"
    with pytest.raises(UploadRejected) as damaged:
        prepare("a.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF", 1000, False)
    assert damaged.value.reason == "damaged"


def test_png_text_chunks_are_removed_and_pixels_kept():
    buffer = io.BytesIO()
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Location", "Hyesan 41.4N 128.2E")
    Image.new("RGB", (4, 4), (9, 8, 7)).save(buffer, "PNG", pnginfo=info)
    cleaned = strip_png(buffer.getvalue())
    assert b"Hyesan" not in cleaned
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.getpixel((0, 0)) == (9, 8, 7) and "Location" not in image.info


def test_jpeg_pixels_are_unchanged_by_stripping():
    original = image_bytes("JPEG", quality=90)
    prepared = prepare("사진.jpg", original, 10_000_000, keep_metadata=False)
    with Image.open(io.BytesIO(original)) as a, Image.open(io.BytesIO(prepared.data)) as b:
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("증언 기록.pdf", "증언 기록.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\회령 사진.jpg", "회령 사진.jpg"),
        ("\u1112\u1161\u11ab\u1100\u1173\u11af.txt", "한글.txt"),  # NFD from macOS becomes NFC
        ("bad\x00name\x07.txt", "badname.txt"),
        ("", "file"),
    ],
)
def test_filenames_keep_hangul_and_lose_paths(raw, expected):
    assert clean_filename(raw) == expected
