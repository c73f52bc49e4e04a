"""Remove identifying metadata (EXIF, GPS, XMP, ICC profiles, comments, thumbnails, timestamps)
from JPEG, PNG, GIF and WebP without re-encoding: the pixels stay bit-for-bit as taken, which
matters for evidence. Anything after the image's end is dropped (a ZIP or a second photo
appended to a JPEG, the extra images of a multi-picture JPEG).

JPEG: APPn segments are dropped except APP0 JFIF (rewritten without its thumbnail) and APP14
Adobe colour information; COM segments too, also between the scans of a progressive JPEG.
When the photo carried an EXIF orientation, a minimal EXIF holding only that orientation is
written back so the picture is not shown sideways.
PNG: only chunks needed to draw the image are kept.
GIF: comment and application extensions (XMP, ICC) are dropped; the loop count is kept.
WebP: EXIF, XMP, ICC and unknown chunks are dropped; an orientation is kept as in JPEG.
"""
from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from app.services.files.filetypes import Unreadable

PNG_KEEP = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"pHYs",
            b"acTL", b"fcTL", b"fdAT"}  # not iCCP: a profile names its maker, device and date
GIF_KEEP_APPLICATIONS = {b"NETSCAPE2.0", b"ANIMEXTS1.0"}  # the loop count of an animation
WEBP_KEEP = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF"}
WEBP_ICC, WEBP_EXIF, WEBP_XMP = 0x20, 0x08, 0x04  # VP8X flags


class DamagedImage(Unreadable):
    """The bytes look like an image but its structure cannot be read."""


def _orientation_exif(data: bytes) -> bytes:
    """"Exif\\0\\0" and a TIFF structure holding only the photo's orientation, or b"" when it
    has none (or the upright one)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            orientation = image.getexif().get(0x0112)
    except Exception:
        return b""
    if not orientation or orientation == 1:
        return b""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()  # starts with b"Exif\0\0"


def _jfif_without_thumbnail(segment: bytes) -> bytes:
    """APP0 JFIF keeps its version and pixel density; its thumbnail (a picture of the photo
    as it was before any crop) goes. Other APP0 segments (JFXX thumbnails, AVI1) are dropped."""
    body = segment[4:]
    if not body.startswith(b"JFIF\x00") or len(body) < 14:
        return b""
    payload = body[:12] + b"\x00\x00"
    return b"\xff\xe0" + struct.pack(">H", len(payload) + 2) + payload


def _keep_app(marker: int, segment: bytes) -> bytes:
    if marker == 0xE0:
        return _jfif_without_thumbnail(segment)
    if marker == 0xEE and segment[4:9] == b"Adobe":
        return segment
    return b""


def _scan_end(data: bytes, pos: int) -> int:
    """Where the entropy-coded data starting at pos ends: the next marker that is neither a
    stuffed 0xFF00 nor a restart marker (or the end of a truncated file)."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            return len(data)
        following = data[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            pos += 2
        elif following == 0xFF:  # fill bytes before a marker
            pos += 1
        else:
            return pos


def strip_jpeg(data: bytes) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        raise DamagedImage("not a JPEG")
    out = io.BytesIO()
    out.write(b"\xff\xd8")
    exif = _orientation_exif(data)
    orientation = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif if exif else b""
    pos, scanned = 2, False
    while pos < len(data):
        if data[pos] != 0xFF:
            raise DamagedImage("bad JPEG marker")
        if pos + 1 >= len(data):
            raise DamagedImage("truncated JPEG")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:  # end of image: whatever follows is not part of it
            out.write(b"\xff\xd9")
            return out.getvalue()
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out.write(data[pos : pos + 2])
            pos += 2
            continue
        if pos + 4 > len(data):
            raise DamagedImage("truncated JPEG segment")
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        segment = data[pos : pos + 2 + length]
        if length < 2 or len(segment) < 2 + length:
            raise DamagedImage("truncated JPEG segment")
        pos += 2 + length
        if 0xE0 <= marker <= 0xEF:
            out.write(_keep_app(marker, segment))
            continue
        if marker == 0xFE:  # comment
            continue
        if orientation:  # after APP0/APP14, before the tables
            out.write(orientation)
            orientation = b""
        out.write(segment)
        if marker == 0xDA:  # start of scan: its image data runs to the next marker
            end = _scan_end(data, pos)
            out.write(data[pos:end])
            pos, scanned = end, True
    if not scanned:
        raise DamagedImage("JPEG without image data")
    return out.getvalue()  # a truncated photo without its end marker is kept as far as it goes


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


def _gif_sub_blocks(data: bytes, pos: int) -> int:
    """The position after a chain of data sub-blocks (each a length byte, 0 ends the chain)."""
    while True:
        if pos >= len(data):
            raise DamagedImage("truncated GIF")
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos


def strip_gif(data: bytes) -> bytes:
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 13:
        raise DamagedImage("not a GIF")
    packed = data[10]
    pos = 13 + (3 * 2 ** ((packed & 0x07) + 1) if packed & 0x80 else 0)  # global colour table
    out = io.BytesIO()
    out.write(data[:pos])
    while pos < len(data):
        introducer = data[pos]
        if introducer == 0x3B:  # trailer: whatever follows is not part of the image
            out.write(b"\x3b")
            return out.getvalue()
        if introducer == 0x2C:  # image descriptor, local colour table, LZW code size, data
            if pos + 10 > len(data):
                raise DamagedImage("truncated GIF")
            packed = data[pos + 9]
            start = pos
            pos += 10 + (3 * 2 ** ((packed & 0x07) + 1) if packed & 0x80 else 0) + 1
            pos = _gif_sub_blocks(data, pos)
            out.write(data[start:pos])
        elif introducer == 0x21 and pos + 2 <= len(data):
            label, start = data[pos + 1], pos
            pos = _gif_sub_blocks(data, pos + 2)
            application = data[start + 3 : start + 14] if label == 0xFF else b""
            if label in (0xF9, 0x01) or application in GIF_KEEP_APPLICATIONS:
                out.write(data[start:pos])  # graphic control, plain text, loop count
        else:
            raise DamagedImage("bad GIF block")
    raise DamagedImage("GIF without trailer")


def strip_webp(data: bytes) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise DamagedImage("not a WebP")
    end = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])  # what follows the RIFF form is dropped
    chunks: list[bytes] = []
    pos = 12
    while pos + 8 <= end:
        kind, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        chunk = data[pos : pos + 8 + size + (size & 1)]
        if pos + 8 + size > end:
            raise DamagedImage("truncated WebP chunk")
        if kind in WEBP_KEEP:
            chunks.append(chunk)
        pos += 8 + size + (size & 1)
    if not chunks:
        raise DamagedImage("WebP without image data")
    exif = _orientation_exif(data)
    if chunks[0][:4] == b"VP8X":
        flags = chunks[0][8] & ~(WEBP_ICC | WEBP_EXIF | WEBP_XMP) | (WEBP_EXIF if exif else 0)
        chunks[0] = chunks[0][:8] + bytes([flags]) + chunks[0][9:]
        if exif:  # only an extended WebP can carry EXIF, so only one can need its orientation back
            tiff = exif[6:]  # WebP's EXIF chunk holds the TIFF structure without JPEG's "Exif\0\0"
            chunks.append(b"EXIF" + struct.pack("<I", len(tiff)) + tiff + b"\x00" * (len(tiff) & 1))
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def check_image(data: bytes) -> None:
    """Raise DamagedImage unless Pillow can parse the image structure."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except Exception as exc:
        raise DamagedImage(str(exc)) from exc


STRIPPERS = {"image/jpeg": strip_jpeg, "image/png": strip_png, "image/gif": strip_gif, "image/webp": strip_webp}


def strip_metadata(data: bytes, media_type: str) -> bytes:
    stripper = STRIPPERS.get(media_type)
    if stripper is None:
        return data
    cleaned = stripper(data)
    check_image(cleaned)
    return cleaned
