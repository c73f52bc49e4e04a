"""Public blueprint: pages a submitter reads, in /ko/… and /en/…."""
import errno
import functools
import time

from flask import Blueprint, current_app, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, IntegrityError

from app import errors, form_tokens
from app.extensions import csrf, db
from app.i18n import current_lang
from app.sealed import keys
from app.services import faults

bp = Blueprint("public", __name__)
LANG = "/<any(ko,en):lang>"


@bp.url_defaults
def add_current_lang(endpoint, values):
    if "lang" not in values and current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        values["lang"] = current_lang()


def signed_form(view):
    """For a view whose form is an app.forms.PublicForm: its POST is checked against the
    signed token in the form (app/form_tokens.py) instead of Flask-WTF's session token, so
    neither showing nor sending the form needs a cookie. A failure raises the same CSRFError."""
    csrf.exempt(view)

    @functools.wraps(view)
    def checked(*args, **kwargs):
        form_tokens.protect()
        return view(*args, **kwargs)

    return checked


# Once the organization's keys exist the application never removes them (rotation replaces
# them in one transaction), so a "yes" is kept for a minute per process: the report, contact
# and receipt pages then ask the database nothing (on SQLite every question takes the write
# lock, app/database.py). A "no" is never kept, so the first admin's keys open intake at once.
KEYS_SEEN_SECONDS = 60
KEYS_SEEN = "moksori.keys_seen_at"


def intake_ready() -> bool:
    """Submissions can be sealed only once the organization's keys exist; until then the
    public forms say so and accept nothing. A development installation creates its keys on
    first need and writes the recovery code beside its database, saying so on the console."""
    seen = current_app.extensions.get(KEYS_SEEN)
    if seen is not None and time.monotonic() - seen < KEYS_SEEN_SECONDS:
        return True
    exist = keys.keys_exist(db.session())
    # End the read at once: on SQLite every transaction holds the write lock (app/database.py),
    # and the form page has nothing else to ask the database.
    db.session.rollback()
    if exist:
        current_app.extensions[KEYS_SEEN] = time.monotonic()
        return True
    target = current_app.config.get("DEVELOPMENT_KEYS_FILE")
    if not target:
        return False
    try:
        _keyring, code = keys.create_keys(db.session(), "development")
        db.session.commit()
    except (keys.KeysError, IntegrityError):  # a concurrent first request made them
        db.session.rollback()
        return True
    with open(target, "w") as handle:
        handle.write(code + "\n")
    current_app.logger.warning("development: created the organization keys; recovery code in %s", target)
    return True


from app.public import (  # noqa: E402, F401  the views import bp, so last; importing registers their routes
    contact_views,
    group_import_views,
    group_template_views,
    group_views,
    home_views,
    pages,
    receipt_views,
    report_views,
    safety_views,
    subscribe_views,
    update_views,
)

# Forms where a person may have typed for a long time: on a CSRF failure (an expired or
# missing token) they come back with what was typed instead of a bare error page.
RESUBMITTABLE = {"public.report": report_views.resubmit_report,
                 "public.receipt_status": receipt_views.resubmit_followup}


# Forms whose POST a database or disk fault interrupted: shown again with what was typed and
# "please send again" (503) instead of the error page that lost it (issue 10, item 5).
AFTER_FAULT = {"public.report": report_views.report_after_fault,
               "public.contact": contact_views.contact_after_fault,
               "public.receipt": receipt_views.receipt_after_fault,
               "public.receipt_status": receipt_views.followup_after_fault,
               "public.subscribe": subscribe_views.subscribe_after_fault,
               "public.subscribe_preferences": subscribe_views.preferences_after_fault,
               "public.subscribe_confirm": subscribe_views.confirm_after_fault}


@bp.errorhandler(faults.StoreFailed)
@bp.errorhandler(DBAPIError)
@bp.errorhandler(OSError)
def fault(error: Exception):
    if request.method != "POST" or request.endpoint not in AFTER_FAULT or not (
            isinstance(error, faults.StoreFailed) or faults.is_fault(error)):  # an IntegrityError is a bug
        return errors.handle_unexpected(error)
    db.session.rollback()
    cause = error.__cause__ or error
    # Kind and place only: app/logs.py writes no exception's message (an OSError's names a path,
    # a database error's may quote a value).
    current_app.logger.warning("fault storing %s: %s", request.endpoint,
                               errno.errorcode.get(getattr(cause, "errno", None) or 0, "-"), exc_info=error)
    return AFTER_FAULT[request.endpoint]()


@bp.errorhandler(CSRFError)
def csrf_failure(error: CSRFError):
    if request.method == "POST" and request.endpoint in RESUBMITTABLE:
        return RESUBMITTABLE[request.endpoint]()
    return errors.handle_csrf_error(error)
