"""Helpers for driving the real forms (CSRF on) from functional tests, and the inputs they send."""
from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pikepdf
import pyotp
import sqlalchemy as sa
from PIL import Image

from app import create_app
from app.extensions import db
from app.models import AuditEvent
from app.models.base import utcnow
from app.sealed import search, vault
from app.services.files.documents import clean_pdf

RECEIPT_RE = re.compile(r'id="receipt-code">\s*([0-9 ]{19})\s*<')
SECRET_RE = re.compile(r'id="totp-secret">([A-Z2-7]+)<')


class _FormFields(HTMLParser):
    """Collects the hidden inputs (csrf_token, form_token) of the first matching form."""

    def __init__(self):
        super().__init__()
        self.hidden: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden" and attrs.get("name"):
            self.hidden.setdefault(attrs["name"], attrs.get("value") or "")


def hidden_fields(html: str) -> dict[str, str]:
    parser = _FormFields()
    parser.feed(html)
    return parser.hidden


def post_form(client, url: str, data: dict, files: list[tuple[str, bytes]] | None = None, page_url: str | None = None):
    """GET the page, copy its hidden fields (CSRF token included), then POST like a browser."""
    page = client.get(page_url or url)
    assert page.status_code == 200, page.status_code
    payload = {**hidden_fields(page.get_data(as_text=True)), **data}
    if files is not None:
        payload["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    response = client.post(url, data=payload, content_type="multipart/form-data")
    # Werkzeug's test client spools big bodies to a temporary file and leaves it open.
    response.request.environ["wsgi.input"].close()
    return response


def opened(item, keyring):
    """Open a submission, its thread and file names as an officer's session would; returns its key."""
    key = vault.open_for_staff(keyring, item)
    vault.open_thread(item, key, keyring)
    return key


def index_and_search(session, keyring, words: str) -> list[int]:
    """What an officer's session does: index what waits, then search the sealed index."""
    search.run(session, keyring)
    return search.search_ids(session, words, keyring)


def receipt_code(html: str) -> str:
    match = RECEIPT_RE.search(html)
    assert match, "no receipt code on the page"
    return match.group(1)


def submit_report(client, lang="ko", narrative="보위부 구류장에서 고문을 당했습니다.", files=None, **fields):
    data = {"narrative": narrative, **fields}
    return post_form(client, f"/{lang}/report", data, files=files or [])


def audit_actions(app):
    with app.app_context():
        return db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()


def act(client, public_id, action, data):
    return post_form(client, f"/staff/submissions/{public_id}/{action}",
                     {f"{action}-{k}": v for k, v in data.items()}, page_url=f"/staff/submissions/{public_id}")


def days_ago(days: float) -> datetime:
    return utcnow() - timedelta(days=days)


def totp_code(secret: str, offset_steps: int = 0) -> str:
    """The code an authenticator app shows now (or `offset_steps` periods from now)."""
    totp = pyotp.TOTP(secret)
    return totp.at(time.time() + offset_steps * totp.interval)


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (32, 24), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0132] = "2019:03:21 10:00:00"  # DateTime
    exif[0x0112] = 6  # orientation: rotated
    gps = exif.get_ifd(0x8825)
    gps[2] = (42.0, 30.0, 0.0)  # latitude
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes(), comment=b"secret comment")
    return buffer.getvalue()


def image_bytes(fmt: str, **params) -> bytes:
    """A small real image in `fmt` ("JPEG", "PNG", …), without metadata."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buffer, fmt, **params)
    return buffer.getvalue()


def pdf_bytes(text: str = "testimony") -> bytes:
    """A small real PDF showing `text`, already as the portal stores a PDF (no document
    information, written anew by qpdf), so what is downloaded is what the test sent."""
    document = pikepdf.new()
    document.add_blank_page(page_size=(200, 200))
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    document.pages[0].Contents = document.make_stream(f"BT /F1 12 Tf 20 100 Td ({escaped}) Tj ET".encode())
    buffer = io.BytesIO()
    document.save(buffer)
    cleaned = clean_pdf(buffer.getvalue())
    assert cleaned is not None
    return cleaned


@contextmanager
def running_app(config) -> Iterator:
    """An app built from `config` whose database connections are closed afterwards."""
    application = create_app(config)
    try:
        yield application
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
