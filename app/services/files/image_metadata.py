"""Remove identifying metadata (EXIF, GPS, XMP, comments, timestamps) from JPEG and PNG
without re-encoding: the pixels stay bit-for-bit as taken, which matters for evidence.

JPEG: APPn segments (except APP0 JFIF and APP14 Adobe colour information) and COM segments
are dropped; when the photo carried an EXIF orientation, a minimal EXIF holding only that
orientation is written back so the picture is not shown sideways.
PNG: only chunks needed to draw the image are kept.
"""
from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

KEEP_JPEG_APP = {0xE0, 0xEE}  # APP0 (JFIF), APP14 (Adobe colour transform)
PNG_KEEP = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"pHYs",
            b"acTL", b"fcTL", b"fdAT"}


class DamagedImage(ValueError):
    """The bytes look like an image but its structure cannot be read."""


def _orientation_segment(data: bytes) -> bytes:
    try:
        with Image.open(io.BytesIO(data)) as image:
            orientation = image.getexif().get(0x0112)
    except Exception:
        return b""
    if not orientation or orientation == 1:
        return b""
    exif = Image.Exif()
    exif[0x0112] = orientation
    payload = b"Exif\x00\x00" + exif.tobytes()
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def strip_jpeg(data: bytes) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        raise DamagedImage("not a JPEG")
    out = io.BytesIO()
    out.write(b"\xff\xd8")
    orientation = _orientation_segment(data)
    wrote_orientation = False
    pos = 2
    while pos < len(data):
        if data[pos] != 0xFF:
            raise DamagedImage("bad JPEG marker")
        marker = data[pos + 1] if pos + 1 < len(data) else None
        if marker is None:
            raise DamagedImage("truncated JPEG")
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA or marker == 0xD9:  # start of scan: the rest is image data
            if orientation and not wrote_orientation:
                out.write(orientation)
            out.write(data[pos:])
            return out.getvalue()
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out.write(data[pos : pos + 2])
            pos += 2
            continue
        if pos + 4 > len(data):
            raise DamagedImage("truncated JPEG segment")
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        segment = data[pos : pos + 2 + length]
        if len(segment) < 2 + length:
            raise DamagedImage("truncated JPEG segment")
        is_app = 0xE0 <= marker <= 0xEF
        if marker == 0xFE or (is_app and marker not in KEEP_JPEG_APP):
            pass  # drop comments and metadata segments
        else:
            if not is_app and orientation and not wrote_orientation:
                out.write(orientation)
                wrote_orientation = True
            out.write(segment)
        pos += 2 + length
    raise DamagedImage("JPEG without image data")


def strip_png(data: bytes) -> bytes:
    signature = b"\x89PNG\r\n\x1a\n"
    if not data.startswith(signature):
        raise DamagedImage("not a PNG")
    out = io.BytesIO()
    out.write(signature)
    pos = len(signature)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise DamagedImage("truncated PNG chunk")
        chunk = data[pos:end]
        if zlib.crc32(chunk[4:-4]) & 0xFFFFFFFF != struct.unpack(">I", chunk[-4:])[0]:
            raise DamagedImage("PNG chunk checksum mismatch")
        if kind in PNG_KEEP:
            out.write(chunk)
        if kind == b"IEND":
            return out.getvalue()
        pos = end
    raise DamagedImage("PNG without end chunk")


def check_image(data: bytes) -> None:
    """Raise DamagedImage unless Pillow can parse the image structure."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except Exception as exc:
        raise DamagedImage(str(exc)) from exc


def strip_metadata(data: bytes, media_type: str) -> bytes:
    if media_type == "image/jpeg":
        cleaned = strip_jpeg(data)
    elif media_type == "image/png":
        cleaned = strip_png(data)
    else:
        return data
    check_image(cleaned)
    return cleaned
