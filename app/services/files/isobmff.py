"""Metadata in ISO base media files — MP4, MOV, 3GP and M4A recordings, HEIC/HEIF and AVIF
photos — removed in place: every byte keeps its position, so no offset table needs rewriting
and the pictures and sound are not touched.

- Movies and recordings: the user-data and metadata boxes of the movie and of each track
  (`udta`, `meta`: the place as ISO 6709 or ©xyz, the phone's make and model, the software,
  iTunes tags) and XMP (`uuid` boxes) become `free` boxes of the same size, which every player
  skips; the creation and modification times of the movie, its tracks and their media are
  set to zero. A timed metadata track (a GoPro's or a 360° camera's GPS log, Apple's
  location track) has its samples zeroed.
- HEIF and AVIF photos: the Exif and XMP items are overwritten with an empty Exif structure
  and an empty XMP packet of the same length. The picture's orientation lives in the `irot`
  and `imir` properties, which stay.

Whatever follows the last box is dropped.
"""
from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from app.services.files.filetypes import Unreadable

TIMES = {b"mvhd", b"tkhd", b"mdhd"}  # full boxes whose first fields are creation and modification times
MOVIE_METADATA = {b"udta", b"meta"}
TIMED_METADATA = {b"meta", b"camm"}  # track handlers: GPS logs (GoPro's GPMF, Apple's mebx, Android's camm)
XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")
XMP_TYPES = {"application/rdf+xml", "application/xmp+xml", "text/xml", "application/xml"}
EMPTY_EXIF = b"\x00\x00\x00\x00" + b"MM\x00*\x00\x00\x00\x08" + b"\x00\x00" + b"\x00\x00\x00\x00"
EMPTY_XMP_HEAD = b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/>'
EMPTY_XMP_TAIL = b'<?xpacket end="w"?>'


@dataclass(frozen=True)
class Box:
    kind: bytes
    start: int  # of the header
    body: int  # of the payload
    end: int


def boxes(data: bytes | bytearray, start: int, end: int) -> Iterator[Box]:
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = pos + 8
        if size == 1:
            if pos + 16 > end:
                raise Unreadable("truncated box header")
            size, body = struct.unpack(">Q", data[pos + 8 : pos + 16])[0], pos + 16
        elif size == 0:
            size = end - pos
        if size < body - pos or pos + size > end:
            raise Unreadable("box runs past its container")
        yield Box(kind, pos, body, pos + size)
        pos += size


def kinds(found: list[Box]) -> set[bytes]:
    return {box.kind for box in found}


def top_level(data: bytes) -> tuple[list[Box], int]:
    """The file's boxes, and where they end. What follows them without a box's header (a ZIP
    appended to a video, say) is not part of the file; a recording cut short keeps its last
    `mdat` as far as it goes."""
    found: list[Box] = []
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if not all(0x20 <= byte < 0x7F for byte in kind) or 1 < size < 8:
            break
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0] if pos + 16 <= len(data) else 0
            if size < 16:
                break
        if size == 0:  # the last box, to the end of the file
            size = len(data) - pos
        elif pos + size > len(data):
            if kind != b"mdat" and {b"moov", b"meta"} & kinds(found) and b"mdat" in kinds(found):
                break  # bytes after a complete file that happen to look like a box's header
            if kind != b"mdat":
                raise Unreadable("truncated box")
            size = len(data) - pos
        header = 16 if data[pos : pos + 4] == b"\x00\x00\x00\x01" else 8
        found.append(Box(kind, pos, pos + header, pos + size))
        pos += size
    if not found or found[0].kind != b"ftyp":
        raise Unreadable("no ftyp box")
    return found, pos


def _is_xmp(buffer: bytearray, box: Box) -> bool:
    return box.kind == b"uuid" and buffer[box.body : box.body + 16] == XMP_UUID


def _free(buffer: bytearray, box: Box) -> None:
    """Turn a box into a `free` box of the same size, its content zeroed."""
    buffer[box.start + 4 : box.start + 8] = b"free"
    buffer[box.body : box.end] = bytes(box.end - box.body)


def _zero_times(buffer: bytearray, box: Box) -> None:
    version = buffer[box.body]
    width = 8 if version == 1 else 4
    start = box.body + 4
    if start + 2 * width <= box.end:
        buffer[start : start + 2 * width] = bytes(2 * width)


def _sample_ranges(buffer: bytearray, stbl: Box) -> Iterator[tuple[int, int]]:
    """(offset, length) of every sample of a track, from its sample table."""
    tables = {box.kind: box for box in boxes(buffer, stbl.body, stbl.end)}
    if b"stsz" not in tables or b"stsc" not in tables or not (b"stco" in tables or b"co64" in tables):
        raise Unreadable("incomplete sample table")
    stsz = tables[b"stsz"].body
    uniform, count = struct.unpack(">II", buffer[stsz + 4 : stsz + 12])
    sizes = [uniform] * count if uniform else list(struct.unpack_from(f">{count}I", buffer, stsz + 12))
    chunk_table = tables.get(b"co64") or tables[b"stco"]
    wide = chunk_table.kind == b"co64"
    chunks = struct.unpack_from(">I", buffer, chunk_table.body + 4)[0]
    offsets = list(struct.unpack_from(f">{chunks}{'Q' if wide else 'I'}", buffer, chunk_table.body + 8))
    stsc = tables[b"stsc"].body
    runs = struct.unpack_from(">I", buffer, stsc + 4)[0]
    entries = [struct.unpack_from(">III", buffer, stsc + 8 + 12 * i)[:2] for i in range(runs)]
    sample = 0
    for index, (first, per_chunk) in enumerate(entries):
        last = entries[index + 1][0] - 1 if index + 1 < len(entries) else chunks
        for chunk in range(first, last + 1):
            position = offsets[chunk - 1]
            for _ in range(per_chunk):
                if sample >= len(sizes):
                    return
                yield position, sizes[sample]
                position += sizes[sample]
                sample += 1


def _handler(buffer: bytearray, mdia: Box) -> bytes:
    for box in boxes(buffer, mdia.body, mdia.end):
        if box.kind == b"hdlr":
            return bytes(buffer[box.body + 8 : box.body + 12])
    return b""


def _clean_track(buffer: bytearray, trak: Box, end: int) -> None:
    for box in boxes(buffer, trak.body, trak.end):
        if box.kind in MOVIE_METADATA or _is_xmp(buffer, box):
            _free(buffer, box)
        elif box.kind == b"tkhd":
            _zero_times(buffer, box)
        elif box.kind == b"mdia":
            handler = _handler(buffer, box)
            for part in boxes(buffer, box.body, box.end):
                if part.kind == b"mdhd":
                    _zero_times(buffer, part)
                elif part.kind == b"minf" and handler in TIMED_METADATA:
                    for table in boxes(buffer, part.body, part.end):
                        if table.kind == b"stbl":
                            for offset, length in _sample_ranges(buffer, table):
                                if offset + length > end:
                                    raise Unreadable("sample outside the file")
                                buffer[offset : offset + length] = bytes(length)


def clean_movie(data: bytes) -> bytes:
    """MP4, MOV, 3GP and M4A: see the module's description."""
    found, end = top_level(data)
    buffer = bytearray(data[:end])
    for box in found:
        if _is_xmp(buffer, box):
            _free(buffer, box)
        elif box.kind == b"moov":
            for part in boxes(buffer, box.body, box.end):
                if part.kind in MOVIE_METADATA or _is_xmp(buffer, part):
                    _free(buffer, part)
                elif part.kind == b"mvhd":
                    _zero_times(buffer, part)
                elif part.kind == b"trak":
                    _clean_track(buffer, part, end)
    return bytes(buffer)


def _items(buffer: bytearray, iinf: Box) -> dict[int, tuple[bytes, str]]:
    """item id → (item type, content type) from the item information box."""
    version = buffer[iinf.body]
    first = iinf.body + 4 + (2 if version == 0 else 4)
    items = {}
    for infe in boxes(buffer, first, iinf.end):
        if infe.kind != b"infe" or buffer[infe.body] < 2:
            continue
        pos = infe.body + 4
        if buffer[infe.body] == 2:
            item_id, pos = struct.unpack_from(">H", buffer, pos)[0], pos + 2
        else:
            item_id, pos = struct.unpack_from(">I", buffer, pos)[0], pos + 4
        item_type = bytes(buffer[pos + 2 : pos + 6])
        strings = bytes(buffer[pos + 6 : infe.end]).split(b"\x00")
        content_type = strings[1].decode("ascii", "replace") if item_type == b"mime" and len(strings) > 1 else ""
        items[item_id] = (item_type, content_type)
    return items


def _locations(buffer: bytearray, iloc: Box) -> dict[int, tuple[int, list[tuple[int, int]]]]:
    """item id → (construction method, [(offset, length)]) from the item location box."""
    version = buffer[iloc.body]
    pos = iloc.body + 4
    sizes = buffer[pos] >> 4, buffer[pos] & 15, buffer[pos + 1] >> 4, buffer[pos + 1] & 15
    offset_size, length_size, base_size, index_size = sizes
    if version not in (1, 2):
        index_size = 0
    pos += 2

    def read(width: int) -> int:
        nonlocal pos
        value = int.from_bytes(buffer[pos : pos + width], "big") if width else 0
        pos += width
        return value

    count = read(2 if version < 2 else 4)
    found = {}
    for _ in range(count):
        item_id = read(2 if version < 2 else 4)
        method = read(2) & 15 if version in (1, 2) else 0
        read(2)  # data reference index
        base = read(base_size)
        extents = []
        for _ in range(read(2)):
            read(index_size)
            offset, length = read(offset_size), read(length_size)
            extents.append((base + offset, length))
        found[item_id] = (method, extents)
    if pos > iloc.end:
        raise Unreadable("truncated item locations")
    return found


def _blank_item(buffer: bytearray, extents: list[tuple[int, int]], base: int, limit: int, empty: bytes) -> None:
    total = sum(length for _, length in extents)
    if any(length == 0 for _, length in extents):
        raise Unreadable("item of unknown length")
    filler = (empty if len(empty) <= total else b"") or bytes(total)
    filler += bytes(total - len(filler))
    done = 0
    for offset, length in extents:
        start = base + offset
        if start + length > limit:
            raise Unreadable("item outside the file")
        buffer[start : start + length] = filler[done : done + length]
        done += length


def _empty_xmp(length: int) -> bytes:
    padding = length - len(EMPTY_XMP_HEAD) - len(EMPTY_XMP_TAIL)
    return EMPTY_XMP_HEAD + b" " * padding + EMPTY_XMP_TAIL if padding >= 0 else b" " * length


def clean_heif(data: bytes) -> bytes:
    """HEIC, HEIF and AVIF photos: see the module's description."""
    found, end = top_level(data)
    meta = next((box for box in found if box.kind == b"meta"), None)
    if meta is None:
        raise Unreadable("HEIF without meta box")
    buffer = bytearray(data[:end])
    parts = {box.kind: box for box in boxes(buffer, meta.body + 4, meta.end)}
    if b"iinf" not in parts or b"iloc" not in parts:
        raise Unreadable("HEIF without item boxes")
    items = _items(buffer, parts[b"iinf"])
    locations = _locations(buffer, parts[b"iloc"])
    idat = parts.get(b"idat")
    for item_id, (item_type, content_type) in items.items():
        if item_type == b"Exif" or (item_type == b"mime" and content_type.lower() in XMP_TYPES):
            method, extents = locations.get(item_id, (0, []))
            if method == 1 and idat is not None:
                base, limit = idat.body, idat.end
            elif method == 0:
                base, limit = 0, end
            else:
                raise Unreadable("item stored in a way this cleaner does not know")
            total = sum(length for _, length in extents)
            empty = EMPTY_EXIF if item_type == b"Exif" else _empty_xmp(total)
            _blank_item(buffer, extents, base, limit, empty)
    return clean_movie(bytes(buffer)) if any(box.kind == b"moov" for box in found) else bytes(buffer)
