"""E-mail into the outbox: every message is rendered and queued in the caller's transaction;
services/outreach/outbox.py delivers it (`flask outbox send`).

Queueing renders the message once, in each language asked for (both = one bilingual message,
Korean first), and freezes it in an OutboxEmail row; build_message() turns a row into the MIME
message that goes over SMTP.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import urlsplit

from flask import render_template
from flask_babel import force_locale
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from app.models import OutboxEmail
from app.models.base import utcnow


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str

    def fill(self, marker: str, value: str) -> Rendered:
        """Put a per-recipient value (a signed link) where the shared rendering has `marker`."""
        return replace(self, text=self.text.replace(marker, value), html=self.html.replace(marker, str(escape(value))))


def render_email(template: str, langs: Sequence[str], subject: Callable[[], str],
                 note: tuple[str, str] | None = None, **context) -> Rendered:
    """Render templates/email/<template>.txt and .html in each language of `langs`.

    `subject` is called inside each language, so its gettext and org name follow it.
    `note` (language, text) goes above everything, e.g. "only available in English"."""
    subjects, texts, parts = [], [], []
    for lang in langs:
        with force_locale(lang):
            subjects.append(subject())
            texts.append(render_template(f"email/{template}.txt", lang=lang, **context).strip())
            # The output of an autoescaping template, not input: safe to mark as markup.
            parts.append(Markup(render_template(f"email/{template}.html", lang=lang, **context)))  # nosec B704
    html = render_template("email/_document.html", parts=parts, langs=langs, subject=subjects[0], note=note)
    text = "\n\n----------\n\n".join(texts) + "\n"
    return Rendered(" / ".join(subjects), f"{note[1]}\n\n{text}" if note else text, html)


def message_values(
    *, recipient: str, rendered: Rendered, kind: str, locale: str, sender: str,
    headers: dict[str, str] | None = None, dedupe_key: str | None = None,
) -> dict:
    """The columns of one queued message (for enqueue(), or a bulk insert of a mailing)."""
    now = utcnow()
    return dict(
        kind=kind, recipient=recipient, locale=locale, subject=rendered.subject,
        body_text=rendered.text, body_html=rendered.html, headers=json.dumps(headers or {}),
        # No fixed word in the id: a notice to a submitter must not say where it comes from.
        message_id=make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or "localhost"),
        dedupe_key=dedupe_key, state="pending", attempts=0, next_attempt_at=now, created_at=now,
    )


def enqueue(session: Session, **values) -> OutboxEmail:
    """Add one message to the caller's transaction; it goes out once the caller commits."""
    row = OutboxEmail(**message_values(**values))
    session.add(row)
    return row


@dataclass(frozen=True)
class MailSettings:
    server: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    sender: str
    names: dict[str, str]
    helo_name: str
    timeout: float = 30
    rate: float = 0
    batch_size: int = 100
    max_attempts: int = 8
    retry_base: int = 60

    @classmethod
    def from_config(cls, config) -> MailSettings:
        return cls(
            server=config["MAIL_SERVER"], port=config["MAIL_PORT"], username=config.get("MAIL_USERNAME"),
            password=config.get("MAIL_PASSWORD"), use_tls=config["MAIL_USE_TLS"], sender=config["MAIL_FROM"],
            names={"ko": config["ORG_NAME_KO"], "en": config["ORG_NAME_EN"]},
            helo_name=urlsplit(config["PUBLIC_BASE_URL"]).hostname or "localhost",
            timeout=config["MAIL_TIMEOUT_SECONDS"], rate=config["OUTBOX_RATE_PER_SECOND"],
            batch_size=config["OUTBOX_BATCH_SIZE"], max_attempts=config["OUTBOX_MAX_ATTEMPTS"],
            retry_base=config["OUTBOX_RETRY_BASE_SECONDS"],
        )

    @property
    def envelope_from(self) -> str:
        return parseaddr(self.sender)[1]

    @property
    def lease(self) -> timedelta:
        """How long a claimed batch stays a worker's: long enough for the slowest batch."""
        per_message = (1 / self.rate if self.rate > 0 else 0) + min(self.timeout, 30)
        return timedelta(seconds=60 + self.batch_size * per_message)


class _HeaderClasses(HeaderRegistry):
    """The stock registry creates a new class for every header it parses; one per name will do."""

    @functools.cache  # noqa: B019  one registry lives as long as the process anyway
    def __getitem__(self, name):
        return super().__getitem__(name)


# Our header values are encoded and folded once by _folded(), so the generator must not refold
# them; the headers the email package makes itself (Content-Type …) still fold as usual.
POLICY = SMTP.clone(refold_source="none", header_factory=_HeaderClasses())


@functools.lru_cache(maxsize=512)
def _folded(name: str, value: str) -> str:
    """A header value RFC 2047-encoded (Hangul) and folded by the email package. Parsing and
    folding are most of the cost of a message, and a mailing repeats most values: cached."""
    value = " ".join(value.split())  # one line: no CR or LF can reach the header block
    if value.isascii() and (len(name) + len(value) < 76 or " " not in value):
        return value  # nothing to encode; an unbreakable token (a URL) stays whole (limit 998)
    return POLICY.header_factory(name, value).fold(policy=POLICY)[len(name) + 2:].rstrip("\r\n")


def build_message(row: OutboxEmail, settings: MailSettings) -> EmailMessage:
    """The MIME message: UTF-8 text and HTML parts, Korean headers RFC 2047-encoded."""
    name, address = parseaddr(settings.sender)
    sender = str(Address(name or settings.names["en" if row.locale == "en" else "ko"], addr_spec=address))
    msg = EmailMessage(policy=POLICY)
    # base64 keeps Hangul 7-bit clean for any relay; ASCII-only bodies stay readable.
    msg.set_content(row.body_text, cte=None if row.body_text.isascii() else "base64")
    msg.add_alternative(row.body_html, subtype="html", cte=None if row.body_html.isascii() else "base64")
    headers = {
        "From": sender, "To": row.recipient, "Subject": row.subject, "Date": format_datetime(row.created_at),
        "Message-ID": row.message_id,
        "Auto-Submitted": "auto-generated",  # RFC 3834: auto-responders (vacation replies) stay quiet
        "Content-Language": "ko, en" if row.locale == "both" else row.locale,
        **json.loads(row.headers or "{}"),
    }
    for header, value in headers.items():
        msg.set_raw(header, _folded(header, value))
    return msg
