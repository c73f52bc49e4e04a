"""Tags in sound recordings, removed without touching the sound (MP4-family recordings such as
M4A are cleaned by isobmff.py).

- MP3: ID3v2 tags at the start (and appended at the end), APEv2, Lyrics3 and ID3v1 tags at
  the end are cut off; the MPEG frames are kept byte for byte.
- WAV: only the format, fact and data chunks are kept: LIST/INFO (artist, comments, software,
  date), bext (the recorder's originator and date), iXML, XMP, id3 and the rest are dropped.
- Ogg (Vorbis, Opus, FLAC, Speex): the comment header is emptied by mutagen, which re-pages
  the stream; the audio packets are unchanged.
"""
from __future__ import annotations

import io
import struct

from app.services.files.filetypes import Unreadable

WAV_KEEP = {b"fmt ", b"fact", b"data"}


def _syncsafe(raw: bytes) -> int:
    return (raw[0] & 0x7F) << 21 | (raw[1] & 0x7F) << 14 | (raw[2] & 0x7F) << 7 | (raw[3] & 0x7F)


def _trailing_tag(data: bytes, end: int) -> int:
    """Where a tag that ends at `end` begins, or `end` when none does."""
    if end >= 128 and data[end - 128 : end - 125] == b"TAG":  # ID3v1 (and its extended 227 bytes)
        return end - 128 - (227 if end >= 355 and data[end - 355 : end - 351] == b"TAG+" else 0)
    if end >= 32 and data[end - 32 : end - 24] == b"APETAGEX":
        size, flags = struct.unpack("<I4xI", data[end - 20 : end - 8])
        return end - size - (32 if flags & 0x80000000 else 0)
    if end >= 15 and data[end - 9 : end] in (b"LYRICS200", b"LYRICSEND"):
        if data[end - 9 : end] == b"LYRICS200" and data[end - 15 : end - 9].isdigit():
            return end - 15 - int(data[end - 15 : end - 9])
        start = data.rfind(b"LYRICSBEGIN", max(0, end - 5100), end)
        return start if start >= 0 else end
    if end >= 10 and data[end - 10 : end - 7] == b"3DI":  # ID3v2 footer of an appended tag
        return end - 20 - _syncsafe(data[end - 4 : end])
    return end


def clean_mp3(data: bytes) -> bytes:
    start = 0
    while data[start : start + 3] == b"ID3" and start + 10 <= len(data):
        footer = 10 if data[start + 5] & 0x10 else 0
        start += 10 + footer + _syncsafe(data[start + 6 : start + 10])
    end = len(data)
    while (begins := _trailing_tag(data, end)) != end:
        if begins < start:
            raise Unreadable("MP3 tags overlap")
        end = begins
    audio = data[start:end]
    if len(audio) < 4 or audio[0] != 0xFF or audio[1] & 0xE0 != 0xE0:
        raise Unreadable("no MPEG frame after the tags")
    return audio


def clean_wav(data: bytes) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise Unreadable("not a WAV file")
    end = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])  # what follows the RIFF form is dropped
    kept: list[bytes] = []
    pos = 12
    while pos + 8 <= end:
        kind, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        if pos + 8 + size > end:
            if kind != b"data":
                raise Unreadable("truncated WAV chunk")
            size = end - pos - 8  # a recording cut short: keep the sound it has
        if kind in WAV_KEEP:
            chunk = data[pos + 8 : pos + 8 + size]
            kept.append(kind + struct.pack("<I", size) + chunk + b"\x00" * (size & 1))
        pos += 8 + size + (size & 1)
    if not any(chunk.startswith(b"data") for chunk in kept) or not kept[0].startswith(b"fmt "):
        raise Unreadable("WAV without format or sound")
    body = b"WAVE" + b"".join(kept)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def clean_ogg(data: bytes) -> bytes:
    import mutagen  # loaded by the first Ogg recording a worker cleans
    from mutagen.ogg import OggFileType

    buffer = io.BytesIO(data)
    try:
        audio = mutagen.File(buffer)
        if not isinstance(audio, OggFileType):
            raise Unreadable("an Ogg stream mutagen does not know")
        buffer.seek(0)
        audio.delete(buffer)
    except (mutagen.MutagenError, struct.error, ValueError, IndexError) as exc:
        raise Unreadable(str(exc)) from exc
    return buffer.getvalue()
