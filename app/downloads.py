"""Every file the portal hands out (attachments, case files, CSV and JSON exports) leaves
through attachment_response(): always a download, never rendered in the portal's origin,
and named the same way everywhere.

Content-Disposition follows RFC 6266: a quoted ASCII `filename` for old clients, then
`filename*` (RFC 5987/8187) with the real name percent-encoded in UTF-8, so a Hangul file
name arrives intact (증언.pdf) and no name can break out of the header.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from urllib.parse import quote

from flask import Response, stream_with_context

# RFC 5987 attr-char: what may stand unencoded in filename*.
_ATTR_CHARS = "!#$&+-.^_`|~"


def ascii_fallback(name: str) -> str:
    """The name as plain printable ASCII for `filename="…"`: accents dropped, anything else
    (Hangul, quotes, backslashes, control characters) replaced by "_"."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch if " " <= ch <= "~" and ch not in '"\\' else "_"
                   for ch in decomposed if not unicodedata.combining(ch)) or "download"


def content_disposition(name: str, fallback: str | None = None) -> str:
    plain = ascii_fallback(fallback or name)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"


def attachment_response(body: bytes | str | Iterable[bytes], name: str, mimetype: str,
                        size: int | None = None, fallback: str | None = None) -> Response:
    """A download named `name`. An iterable body is streamed within the request context."""
    if not isinstance(body, (bytes, str)):
        body = stream_with_context(iter(body))  # what Flask does with it too; its types want an Iterator
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(name, fallback)
    if size is not None:
        response.headers["Content-Length"] = str(size)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
