"""Metadata stripping removes what identifies and keeps the pixels."""
from __future__ import annotations

import io

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from app.services.files.attachments import prepare
from app.services.files.image_metadata import strip_png
from tests.helpers import image_bytes


def test_png_text_chunks_are_removed_and_pixels_kept():
    buffer = io.BytesIO()
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
