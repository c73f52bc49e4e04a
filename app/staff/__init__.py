"""Staff blueprint: login + 2FA, the queue, submission pages, messages and notes.

One gate for the whole blueprint: every view needs a logged-in, 2FA-verified, active user,
except the short allow-list below (securedrop's journalist_app does the same).
"""
from flask import Blueprint, current_app, g, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from app import errors, facets
from app import vocabularies as vocab
from app.auth import current_keyring, key_session_alive, require_staff, staff_ready
from app.extensions import db
from app.sealed import search
from app.services.intake import reports
from app.staff import when

bp = Blueprint("staff", __name__, url_prefix="/staff")
errors.register_staff_fault_handler(bp)

PUBLIC_ENDPOINTS = {"staff.login", "staff.two_factor", "staff.set_language"}


@bp.before_request
def gate():
    if (response := require_staff(PUBLIC_ENDPOINTS)) is not None:
        return response
    if staff_ready():
        keyring = current_keyring()
        if reports.complete_receipt_wraps(db.session(), keyring):
            db.session.commit()
        # Submissions that wait for the search index: a few are indexed now, a backlog (after
        # a night without officers) in the background while this session lasts.
        # current_app is a LocalProxy, typed as the Flask it stands for: mypy does not know its own method.
        search.keep_up(current_app._get_current_object(), db.session,  # type: ignore[attr-defined]
                       keyring, key_session_alive())
    return None


@bp.context_processor
def facet_helpers():
    return {"facet_headings": facets.HEADINGS, "facet_display": facets.display, "when_label": when.when_label,
            "item_url": item_url, "source_said": source_said}


def item_url(public_id: str) -> str:
    """An item page's address. A case page links to its items a thousand times (the sources of
    each record): url_for is asked once per request, not each time."""
    if "item_url_prefix" not in g:
        g.item_url_prefix = url_for("staff.submission", public_id="_").removesuffix("_")
    return g.item_url_prefix + public_id


def source_said(code: str | None) -> str:
    """How a submitter knows what they tell, in the page's language ("Not said" when they did
    not say), translated once per request for the hundreds of sources a case page lists."""
    labels = g.setdefault("source_labels", {})  # per language: g can outlive one request in tests
    lang = str(get_locale())
    if lang not in labels:
        labels[lang] = {code: str(label) for code, label in vocab.SOURCE_CONNECTIONS}
        labels[lang][None] = _("Not said")
    return labels[lang].get(code) or labels[lang][None]


from app.staff import (  # noqa: E402, F401  the views import bp, so last; importing registers their routes
    account_views,
    auth_views,
    case_export_views,
    case_views,
    dashboard_views,
    export_views,
    group_views,
    item_views,
    queue_views,
    record_link_views,
    record_views,
)
