"""Public blueprint: pages a submitter reads, in /ko/… and /en/…."""
import time

from flask import Blueprint, current_app, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError

from app import errors
from app.extensions import db
from app.i18n import current_lang
from app.services import keys

bp = Blueprint("public", __name__)
LANG = "/<any(ko,en):lang>"


@bp.url_defaults
def add_current_lang(endpoint, values):
    if "lang" not in values and current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        values["lang"] = current_lang()


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
    exist = keys.keys_exist(db.session)
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
        _keyring, code = keys.create_keys(db.session, "development")
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
    home_views,
    receipt_views,
    report_views,
    subscribe_views,
    update_views,
)

# Forms where a person may have typed for a long time: on a CSRF failure (an expired or
# missing token) they come back with what was typed instead of a bare error page.
RESUBMITTABLE = {"public.report": report_views.resubmit_report,
                 "public.receipt_status": receipt_views.resubmit_followup}


@bp.errorhandler(CSRFError)
def csrf_failure(error: CSRFError):
    if request.method == "POST" and request.endpoint in RESUBMITTABLE:
        return RESUBMITTABLE[request.endpoint]()
    return errors.handle_csrf_error(error)
