"""Staff blueprint: login + 2FA, the queue, submission pages, messages and notes.

One gate for the whole blueprint: every view needs a logged-in, 2FA-verified, active user,
except the short allow-list below (securedrop's journalist_app does the same).
"""
from flask import Blueprint

from app import facets
from app.auth import require_staff

bp = Blueprint("staff", __name__, url_prefix="/staff")

PUBLIC_ENDPOINTS = {"staff.login", "staff.two_factor", "staff.set_language"}


@bp.before_request
def gate():
    return require_staff(PUBLIC_ENDPOINTS)


@bp.context_processor
def facet_helpers():
    return {"facet_headings": facets.HEADINGS, "facet_display": facets.display}


from app.staff import (  # noqa: E402, F401  the views import bp, so last; importing registers their routes
    account_views,
    auth_views,
    dashboard_views,
    export_views,
    item_views,
    queue_views,
)
