"""Localized error pages, registered in one place. A 500 rolls the session back and shows
no stack trace. (The public blueprint answers a CSRF failure on its long forms itself, by
showing the form again with what was typed: app/public/receipt_views.py, report_views.py.)"""
from __future__ import annotations

import math
import time

from flask import Flask, current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from app import form_tokens
from app.extensions import db, limiter
from app.services import faults

PAGES = {
    400: (_l("The request could not be understood"), _l("Please go back and try again.")),
    403: (_l("No access"), _l("You do not have permission to see this page.")),
    404: (_l("Page not found"), _l("We could not find the page you asked for. Please check the address.")),
    405: (_l("Not allowed"), _l("This page cannot be used this way. Please go back and try again.")),
    409: (_l("Already received"), _l("This was already sent.")),
    413: (
        _l("The files are too large"),
        _l(
            "Together, the files were larger than the %(mb)sMB this form accepts at once. "
            "Please go back: your text may still be in the form. Send fewer or smaller files, "
            "and add the others later from the receipt page."
        ),
    ),
    429: (
        _l("Too many attempts"),
        _l("For everyone's safety, this was tried too many times. Please wait a while and try again."),
    ),
    500: (_l("Something went wrong"), _l("A temporary problem occurred. Please try again in a moment.")),
    503: (
        _l("Temporarily unavailable"),
        _l("Because of a temporary problem on our side, this page cannot be shown right now. "
           "Please try again in a few minutes."),
    ),
}
# A page that could not be read because the database is unreachable: how long to wait.
RETRY_AFTER_FAULT_SECONDS = 60
# abort(403, description=…) with one of these names says why, instead of the general 403 text.
REASONS = {
    "no_keys": (_l("No access to the keys"),
                _l("Your account has not been given the keys that open submissions, or not all of them. "
                   "Please ask an admin to give you access again.")),
}


def render_error(status: int, reason: str | None = None):
    title, message = REASONS.get(reason or "") or PAGES.get(status, PAGES[500])
    text = str(message) % {"mb": current_app.config["MAX_TOTAL_UPLOAD_MB"]} if status == 413 else message
    return render_template("errors/error.html", title=title, message=text, status=status), status


def handle_http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    return render_error(error.code, error.description if error.description in REASONS else None)


def retry_after_seconds(error: RateLimitExceeded) -> int:
    """Seconds until the limit that was hit lets this client try again: the limiter's own
    reset time for this request, or at worst the limit's whole window."""
    try:
        window = max(1, int(error.limit.limit.get_expiry()))
        current = limiter.current_limit
        if current is not None and current.breached:
            # reset_at is a whole second: never more than the window ("15분", not "16분").
            return min(window, max(1, math.ceil(current.reset_at - time.time())))
        return window
    except Exception:  # the page must still say something: a minute is the shortest window we use
        current_app.logger.exception("rate limit reset time unknown")
        return 60


def wait_text(seconds: int) -> str:
    """How long to wait, in whole minutes (rounded up), or hours from two hours on."""
    minutes = math.ceil(seconds / 60)
    if minutes < 120:
        return ngettext("Please try again in %(num)s minute.", "Please try again in %(num)s minutes.", minutes)
    hours = math.ceil(minutes / 60)
    return ngettext("Please try again in %(num)s hour.", "Please try again in %(num)s hours.", hours)


def handle_rate_limited(error: RateLimitExceeded):
    seconds = retry_after_seconds(error)
    title, message = PAGES[429]
    body = render_template("errors/error.html", title=title, message=message, wait=wait_text(seconds), status=429)
    # Retry-After in seconds (RFC 9110): a script or a proxy can wait without reading the page.
    return body, 429, {"Retry-After": str(seconds)}


def form_page_link() -> str | None:
    """Where the form that failed the CSRF check can be had again: the same URL by GET, or,
    for an action URL that only takes POST (/staff/submissions/<id>/note), the page above it.
    Built with url_for from the route it matches, so the link is always one of our own
    relative paths, never a URL someone put into the request (no open redirect)."""
    adapter = current_app.create_url_adapter(request)
    path = request.path
    if adapter is None:
        return None
    for candidate in (path, path.rsplit("/", 1)[0] or "/"):
        try:
            endpoint, args = adapter.match(candidate, method="GET")
        except HTTPException:  # not found, not by GET, or a redirect to a canonical form
            continue
        if endpoint != "static":
            return url_for(endpoint, **args)
    return None


def handle_csrf_error(error: CSRFError):
    title = _l("Please try again")
    message = _l("For your security, please reload the page and submit again.")
    if error.description == form_tokens.OPAQUE_ORIGIN:  # a login from a page without an origin
        title = _l("Please open the page again and send it from there")
        message = _l("Your browser did not say which page this came from, so we could not tell it apart from "
                     "another website sending it for you. Nothing was opened. Please open the page with the "
                     "link below and enter it there again. If this happens again, please use an up-to-date "
                     "browser such as Tor Browser.")
    return render_template("errors/error.html", title=title, message=message, status=400,
                           back=form_page_link()), 400


def handle_unexpected(error: Exception):
    db.session.rollback()
    if faults.is_database_fault(error):
        return handle_database_down(error)
    # The route, not the path: a path can carry a token (subscription links). app/logs.py keeps
    # the exception's message (which may quote a value) out of the log.
    current_app.logger.exception("unhandled error on %s %s", request.method,
                                 request.url_rule.rule if request.url_rule else "(no route)")
    try:
        return render_error(500)
    except Exception:  # the error page itself failed: answer in both languages, no template
        current_app.logger.exception("error page failed")
        return ("일시적인 문제가 발생했습니다. / A temporary problem occurred.", 500,
                {"Content-Type": "text/plain; charset=utf-8"})


def handle_database_down(error: Exception):
    """The database is unreachable (refused, cut, a locked or missing SQLite file) and no form
    handler kept anything typed: the localized 503 every page gets, never a 500. The log says
    the kind of fault and the route, never the exception's text (app/logs.py)."""
    current_app.logger.warning("database unreachable on %s %s: %s", request.method,
                               request.url_rule.rule if request.url_rule else "(no route)", type(error).__name__)
    try:
        body, status = render_error(503)
    except Exception:  # the error page itself needed the database: answer in both languages
        current_app.logger.exception("error page failed")
        body, status = "일시적인 문제가 발생했습니다. / A temporary problem occurred.", 503
        return body, status, {"Content-Type": "text/plain; charset=utf-8",
                              "Retry-After": str(RETRY_AFTER_FAULT_SECONDS)}
    return body, status, {"Retry-After": str(RETRY_AFTER_FAULT_SECONDS)}


# Staff and admin forms where someone may have typed for a while. On a database or disk fault
# the answer shows their text again instead of losing it (the public forms come back whole,
# app/public AFTER_FAULT). Only these endpoints: a password or a code is never echoed.
TEXT_KEPT_ON_FAULT = {"staff.submission_action", "admin.update_new", "admin.update_edit"}


def typed_text() -> list[str]:
    """The free text of the POST that could not be saved: values with a space or a line break,
    or longer than a code or a choice would be (a status, a slug, a number are not worth it)."""
    return [value for name, value in request.form.items(multi=True)
            if name != "csrf_token" and value.strip() and (len(value) > 20 or any(c.isspace() for c in value.strip()))]


def handle_staff_fault(error: Exception):
    if request.method != "POST" or request.endpoint not in TEXT_KEPT_ON_FAULT or not faults.is_fault(error):
        return handle_unexpected(error)
    db.session.rollback()
    current_app.logger.warning("fault saving %s", request.endpoint, exc_info=error)
    public_id = (request.view_args or {}).get("public_id")
    back = url_for("staff.submission", public_id=public_id) if public_id else url_for("admin.updates")
    return render_template("errors/not_saved.html", typed=typed_text(), back=back), 503


def register_staff_fault_handler(bp) -> None:
    for fault in (DBAPIError, OSError):
        bp.register_error_handler(fault, handle_staff_fault)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
