"""Which accepted file types are cleaned of identifying metadata, and how: the one table that
intake, the public form's help text and the officers' file list all read.

Every type of filetypes.ACCEPTED is in exactly one of three groups (tests check it):
- CLEANERS: cleaned without changing what is seen or heard (image_metadata, isobmff, audio,
  documents say how); a cleaner returns None when this one file cannot be cleaned (a PDF that
  needs a password) and raises Unreadable when the file is damaged.
- NOT_CLEANED: formats that carry metadata this portal cannot remove safely — old Office and
  HWP files keep names, the last authors' file paths and the computer's user in records a
  rewrite could damage; WebM has no lossless cleaner here. They are kept as sent, and the
  form and the item page say so.
- NO_METADATA: formats that carry none.
"""
from __future__ import annotations

from collections.abc import Callable

from app.services.files import audio, documents, isobmff
from app.services.files.filetypes import ACCEPTED, Unreadable, detect
from app.services.files.image_metadata import strip_metadata

Cleaner = Callable[[bytes], bytes | None]


def _image(media_type: str) -> Cleaner:
    return lambda data: strip_metadata(data, media_type)


CLEANERS: dict[str, Cleaner] = {
    "image/jpeg": _image("image/jpeg"),
    "image/png": _image("image/png"),
    "image/gif": _image("image/gif"),
    "image/webp": _image("image/webp"),
    "image/heic": isobmff.clean_heif,
    "image/avif": isobmff.clean_heif,
    "application/pdf": documents.clean_pdf,
    "application/rtf": documents.clean_rtf,
    "audio/mpeg": audio.clean_mp3,
    "audio/wav": audio.clean_wav,
    "audio/ogg": audio.clean_ogg,
    "audio/mp4": isobmff.clean_movie,
    "video/mp4": isobmff.clean_movie,
    "video/3gpp": isobmff.clean_movie,
    "video/quicktime": isobmff.clean_movie,
    **{t.media_type: documents.clean_zip for t in ACCEPTED if t.extension in documents.PARTS},
}
NOT_CLEANED = {"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
               "application/x-hwp", "video/webm"}
NO_METADATA = {"text/plain", "audio/amr"}


def clean(data: bytes, media_type: str) -> bytes | None:
    """The file without its metadata, or None when it is kept as sent (a type in NOT_CLEANED
    or NO_METADATA, or a file its cleaner cannot open). Raises Unreadable for a damaged file,
    and when the cleaned file would no longer be recognised as its type."""
    cleaner = CLEANERS.get(media_type)
    if cleaner is None:
        return None
    cleaned = cleaner(data)
    if cleaned is not None:
        found = detect(cleaned)
        if found is None or found.media_type != media_type:
            raise Unreadable("the cleaned file is no longer of its type")
    return cleaned


def not_cleaned_extensions() -> list[str]:
    """".doc", ".hwp", …: what the form tells submitters is kept as sent."""
    documents_first = sorted(ACCEPTED, key=lambda t: t.group != "document")
    return [f".{t.extension}" for t in documents_first if t.media_type in NOT_CLEANED]


def extension_of(media_type: str) -> str:
    return next((t.extension for t in ACCEPTED if t.media_type == media_type), media_type)


def metadata_state(media_type: str, stripped: bool, kept_by_choice: bool) -> str:
    """What an officer is told about one stored file: "removed"; "kept" (the submitter asked);
    "not_removed" (the portal could not); "" (its type carries none)."""
    if stripped:
        return "removed"
    if media_type in NO_METADATA:
        return ""
    return "kept" if kept_by_choice and media_type in CLEANERS else "not_removed"
