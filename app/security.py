"""Security plumbing: response headers and CSP, sanitize_html() (the only bleach call),
safe redirects, receipt codes and the rate-limit key.

Receipt codes are 16 digits (shown as 4×4) because many submitters are not at ease with the
Latin alphabet (KOREAN.md §2.5); they are stored only as an HMAC, so a stolen database does
not let anyone open a submitter's follow-up page.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from typing import TypeGuard
from urllib.parse import quote_from_bytes, urlsplit

from flask import Flask, current_app, request

from app.sealed import installation

RECEIPT_DIGITS = 16

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'none'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ]
)


# POSTs that open a session: a submission by its receipt code, a staff login. Forged from another
# page they would log a visitor's browser into the attacker's submission or account (login
# CSRF), so app/form_tokens.py refuses them with `Origin: null` when the browser sends no fetch
# metadata. Their pages send the Origin for real (below), which our own POSTs need for that.
SESSION_OPENING = frozenset({"public.receipt", "staff.login"})


def referrer_policy() -> str:
    """no-referrer everywhere, except the pages of a form that opens a session: same-origin, so
    that a browser's POST from them names our origin instead of `null` (Fetch: a no-referrer
    page's POST says `Origin: null`, the same as a forged one from a sandboxed frame), while
    nothing still goes to any other site — not even to the quick exit's page."""
    return "same-origin" if request.endpoint in SESSION_OPENING else "no-referrer"


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", referrer_policy())
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
    if not request.path.startswith("/static/"):
        # Pages may show receipt codes or typed-in testimony: a shared or seized device must
        # not keep them in its cache.
        headers["Cache-Control"] = "no-store"
    if current_app.config.get("SECURITY_HSTS"):
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    return response


def offer_onion_address(response):
    """Onion-Location: Tor Browser offers the same page at the onion address (ONION_ADDRESS).
    Only on HTTPS pages, where Tor Browser heeds it, so never on the onion service itself."""
    onion = current_app.config.get("ONION_ADDRESS")
    if onion and request.is_secure and response.mimetype == "text/html":
        response.headers["Onion-Location"] = f"http://{onion}{request.full_path.rstrip('?')}"
    return response


def sanitize_html(html: str) -> str:
    """Clean HTML rendered from user-supplied Markdown. The one place bleach is called."""
    import bleach

    allowed_tags = {
        "p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre",
        "h2", "h3", "h4", "a", "hr", "table", "thead", "tbody", "tr", "th", "td",
    }
    cleaned = bleach.clean(
        html,
        tags=allowed_tags,
        attributes={"a": ["href", "title"]},
        protocols={"http", "https", "mailto"},
        strip=True,
    )
    return bleach.linkify(cleaned, callbacks=[bleach.callbacks.nofollow], skip_tags={"pre", "code"})


def is_safe_redirect(target: str | None) -> TypeGuard[str]:
    """Only same-site relative paths are followed after login or a language switch. A control
    or format character (CR/LF, NUL, TAB, bidi marks) or a backslash refuses the whole target:
    urlsplit() drops CR, LF and TAB silently (so `/` CR LF `//evil.example` looked like a path), and
    a Location header with a line break in it fails at the server (a 500 after the login)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(unicodedata.category(ch).startswith("C") for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _receipt_key() -> bytes:
    return installation.receipt_hmac_key()


def new_receipt_code() -> str:
    """16 random digits. Uniqueness is enforced by the database on the HMAC."""
    return "".join(secrets.choice("0123456789") for _ in range(RECEIPT_DIGITS))


def format_receipt_code(code: str) -> str:
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize_receipt_code(raw: str | None) -> str | None:
    """Accept what people really type: spaces, hyphens, full-width digits. None if not 16 digits."""
    if not raw:
        return None
    digits = "".join(
        unicodedata.normalize("NFKC", ch) for ch in raw if not ch.isspace() and ch not in "-–—_.·"
    )
    return digits if re.fullmatch(f"[0-9]{{{RECEIPT_DIGITS}}}", digits) else None


def hash_receipt_code(code: str) -> str:
    return hmac.new(_receipt_key(), code.encode(), hashlib.sha256).hexdigest()


def keyed_digest(purpose: str, value: str) -> str:
    """HMAC-SHA256 of `value` under a key for `purpose` derived from SECRET_KEY (hex): counters
    can tell values apart (an e-mail address typed at login, a client address) without
    storing them."""
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), f"moksori {purpose}".encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def client_address() -> str:
    """Who the rate limits and the login throttle count: the connection's address, or, from a
    proxy the app trusts, the one it names in CLIENT_ADDRESS_HEADER (config.py). deploy/'s
    nginx always sets that header itself, so a visitor cannot choose their own counter."""
    remote = request.remote_addr or "unknown"
    header = current_app.config["CLIENT_ADDRESS_HEADER"]
    trusted = current_app.config["TRUSTED_PROXIES"]
    if header and (remote in trusted or "*" in trusted):
        return request.headers.get(header, "").strip()[:100] or remote
    return remote


def rate_limit_key() -> str:
    """A keyed hash of the client address: limits work without storing the address itself."""
    address = client_address()
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


class _DropClientAddress:
    """Logging filter for the development server, which writes the client address first."""

    pattern = re.compile(r"^\S+ - - ")

    def filter(self, record):
        if isinstance(record.msg, str):
            record.msg = self.pattern.sub("- - - ", record.msg)
        return True


class QueryStringBytes:
    """WSGI middleware: a query string whose raw bytes are not ASCII gets them percent-encoded,
    as a browser would have sent them.

    Werkzeug decodes `request.args` with `query_string.decode()`, so a raw byte that is not
    UTF-8 (a client that skips the encoding: `GET /ko/?q=\xed\xa0\x80`) raised UnicodeDecodeError
    on every page — the language switch reads the query — and the 500 page itself failed the
    same way. Percent-encoded, the bytes reach Werkzeug's documented rule instead: a sequence that
    is not UTF-8 stays as its %XX escapes in the value, valid UTF-8 is decoded as usual."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        query = environ.get("QUERY_STRING", "")
        if not query.isascii():
            # WSGI hands the bytes over as latin-1 characters (PEP 3333); anything else is UTF-8.
            raw = query.encode("latin-1") if all(ord(ch) < 256 for ch in query) else query.encode()
            environ["QUERY_STRING"] = quote_from_bytes(raw, safe="".join(map(chr, range(0x21, 0x7F))))
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    import logging

    app.wsgi_app = QueryStringBytes(app.wsgi_app)  # type: ignore[method-assign]

    logging.getLogger("werkzeug").addFilter(_DropClientAddress())
    app.after_request(set_security_headers)
    app.after_request(offer_onion_address)
    app.jinja_env.filters["receipt"] = format_receipt_code
    app.jinja_env.globals["referrer_policy"] = referrer_policy
