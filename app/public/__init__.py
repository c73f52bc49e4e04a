"""Public blueprint: pages a submitter reads, in /ko/… and /en/…."""
from flask import Blueprint, current_app, request
from flask_wtf.csrf import CSRFError

from app import errors
from app.i18n import current_lang

bp = Blueprint("public", __name__)
LANG = "/<any(ko,en):lang>"


@bp.url_defaults
def add_current_lang(endpoint, values):
    if "lang" not in values and current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        values["lang"] = current_lang()


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
