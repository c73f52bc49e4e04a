"""CSRF for the public forms without a cookie (issue 10, item 7).

A visitor who only reads a public page must leave nothing on the device, yet Flask-WTF keeps
its CSRF secret in the session cookie. The public forms carry instead a token signed with
SECRET_KEY (itsdangerous), time-limited by WTF_CSRF_TIME_LIMIT and bound to the form it was
issued for: the endpoint and its arguments other than the language, so a token from the
contact form is refused by the report form, and /ko/ and /en/ share one form.

A failure raises Flask-WTF's CSRFError with Flask-WTF's own reasons, so the same handlers
(app/errors.py, the public blueprint's resubmission pages) answer as before. The check is
strict in the same ways (missing, malformed, bad signature, expired, another form) and adds
one a session token did not need: a browser that says the POST comes from another site
(Sec-Fetch-Site, or an Origin that is not ours) is refused, because a token that is not tied
to a cookie could be fetched by another site and replayed through a visitor's browser.
Replaying a token within its time limit is the stateless design's trade-off (SECURITY.md);
the one-time form_token of the report and contact forms keeps a replay from storing twice.

Staff and admin forms keep the session-bound token: they have a session anyway. The same
cross-site check guards them (app/extensions.py) in place of Flask-WTF's HTTPS referrer
check, which needs a Referer header that our no-referrer policy never lets a browser send.
"""
from __future__ import annotations

import hmac
import secrets
from typing import Any

from flask import current_app, g, request
from flask_wtf.csrf import CSRFError
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from wtforms.csrf.core import CSRF
from wtforms.validators import ValidationError

from app.security import SESSION_OPENING

SALT = "moksori public form"
FROM_ANOTHER_SITE = "The request came from another site."
OPAQUE_ORIGIN = "The request came from a page without an origin."
FIELD = "csrf_token"
# Fetch metadata a browser sends with a form POST; anything else comes from another site.
ALLOWED_FETCH_SITES = {"same-origin", "none"}
# Where a kept page (app/public/page_cache.py) puts each visitor's tokens. Random per process, so
# no text an officer publishes can contain one.
_MARK = secrets.token_hex(8)
CSRF_MARK = f"csrf-{_MARK}"
ONE_TIME_MARK = f"once-{_MARK}"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def form_key(endpoint: str | None = None, view_args: dict[str, Any] | None = None) -> str:
    """What a token is bound to: the endpoint and its arguments except the language."""
    endpoint = endpoint or request.endpoint or ""
    args = request.view_args or {} if view_args is None else view_args
    return endpoint + "".join(f";{name}={value}" for name, value in sorted(args.items()) if name != "lang")


def issue(key: str) -> str:
    """A token for the form `key`; the random part only makes every page's token differ."""
    return _serializer().dumps({"f": key, "n": secrets.token_urlsafe(6)})


def new_one_time_token() -> str:
    """The report and contact forms' one-time token: a second POST with it is refused."""
    return secrets.token_urlsafe(24)


def one_time_token() -> str:
    """A one-time token for a form being shown, or its marker on a page being kept."""
    return ONE_TIME_MARK if g.get("token_marks") else new_one_time_token()


def reason_to_refuse(token: str | None, key: str) -> str | None:
    """Why `token` cannot be accepted for the form `key` (Flask-WTF's wording), or None."""
    if not token:
        return "The CSRF token is missing."
    try:
        payload = _serializer().loads(token, max_age=current_app.config["WTF_CSRF_TIME_LIMIT"])
    except SignatureExpired:
        return "The CSRF token has expired."
    except BadData:
        return "The CSRF token is invalid."
    if not isinstance(payload, dict) or not hmac.compare_digest(str(payload.get("f", "")), key):
        return "The CSRF tokens do not match."
    return None


def cross_site() -> bool:
    """The browser says this POST was sent by another site. Origin is "null" (not ours, not
    another's) on our own pages, whose Referrer-Policy is no-referrer, so only a real other
    origin counts; browsers without fetch metadata send neither header and pass on the token."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ALLOWED_FETCH_SITES:
        return True
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return False
    return origin.rstrip("/") != request.host_url.rstrip("/")


def opaque_origin_opening_session() -> bool:
    """A POST that opens a session (app.security.SESSION_OPENING) says `Origin: null` and
    carries no fetch metadata: an older browser (before Sec-Fetch-Site) sent it from a page
    without an origin — a sandboxed frame, a data: URL, another site's no-referrer page — with a
    token fetched elsewhere. Our own pages of those forms are same-origin (referrer_policy), so
    such a browser sends our origin from them; a current browser's fetch metadata decides."""
    return (request.endpoint in SESSION_OPENING and request.headers.get("Origin") == "null"
            and "Sec-Fetch-Site" not in request.headers)


def from_elsewhere() -> str | None:
    """Why this POST is refused as sent from another page than ours (Flask-WTF-style reason,
    the CSRFError's description), or None. The one check both kinds of token go through."""
    if cross_site():
        return FROM_ANOTHER_SITE
    if opaque_origin_opening_session():
        return OPAQUE_ORIGIN
    return None


def protect(key: str | None = None) -> None:
    """Refuse this POST unless it carries a good token for its form; raises CSRFError."""
    if request.method != "POST" or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if reason := from_elsewhere():
        raise CSRFError(reason)
    reason = reason_to_refuse(request.form.get(FIELD), key or form_key())
    if reason:
        raise CSRFError(reason)
    g.signed_form_valid = True


class SignedCSRF(CSRF):
    """WTForms CSRF for a public form: renders a signed token (no session touched) and checks
    it again at validation, unless protect() already did for this request."""

    def generate_csrf_token(self, csrf_token_field):
        return CSRF_MARK if g.get("token_marks") else issue(form_key())

    def validate_csrf_token(self, form, field):
        if g.get("signed_form_valid"):
            return
        reason = reason_to_refuse(field.data, form_key())
        if reason:
            raise ValidationError(reason)
