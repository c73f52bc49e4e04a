"""Public blueprint: pages a submitter reads, in /ko/… and /en/…."""
from flask import Blueprint, request
from flask_wtf.csrf import CSRFError

from app import errors

bp = Blueprint("public", __name__)

from app.public import report_views  # noqa: E402  (registers the views)
from app.public import contact_views  # noqa: E402,F401
from app.public import subscribe_views, update_views  # noqa: E402,F401

# Forms where a person may have typed for a long time: on a CSRF failure they are shown again.
RESUBMITTABLE = {"public.report", "public.receipt_status"}


@bp.errorhandler(CSRFError)
def csrf_failure(error: CSRFError):
    if request.method == "POST" and request.endpoint in RESUBMITTABLE:
        return report_views.resubmit_after_csrf_failure(request.endpoint)
    return errors.handle_csrf_error(error)
