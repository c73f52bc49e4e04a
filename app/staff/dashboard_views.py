"""The statistics dashboard: charts drawn on the server, each with its numbers as a table,
over the items the queue's filters (same query string) select, and what expires soon."""
from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user

from app.auth import current_keyring
from app.extensions import db
from app.i18n import current_lang
from app.services.ops import retention
from app.services.settings import retention_policy
from app.services.triage import queue as queue_service
from app.services.triage import stats
from app.staff import bp
from app.staff.queue_forms import FilterForm

CHARTS = [
    ("months", _l("Items received per month"), _l("Month")),
    ("categories", _l("Items by category (top level)"), _l("Top-level category")),
    ("provinces", _l("Items by province"), _l("Province")),
    ("statuses", _l("Items by status"), lazy_pgettext("case", "Status")),
    ("response", _l("Time to first response"), _l("Time to the first message from an officer")),
]
EXPIRY_WINDOW_DAYS = 7


def queue_filters():
    """The queue's filters from this request's query string, read by the queue's own form
    (an invalid value is ignored there, as on the queue page); paging is not a filter."""
    form = FilterForm(formdata=request.args)
    form.set_choices(db.session, current_lang(), queue_service.assignable_users(db.session))
    return form.to_filters(db.session, current_user, current_app.config["TIMEZONE"], None, None, current_keyring())


def _charts(data: stats.Dashboard) -> list[dict]:
    return [{"key": key, "title": title, "column": column, "bars": getattr(data, key),
             "svg": stats.bar_chart_svg(getattr(data, key))} for key, title, column in CHARTS]


@bp.route("/dashboard")
def dashboard():
    data = stats.dashboard(db.session, queue_filters(), current_lang(), current_app.config["TIMEZONE"])
    policy = retention_policy(db.session, current_app.config["RETENTION_DAYS"])
    expiring = [(item, retention.days_left(item, policy))
                for item in retention.expiring_within(db.session, policy, EXPIRY_WINDOW_DAYS)]
    query = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in ("after", "before")}
    links = {fmt: url_for("staff.export_queue", fmt=fmt, **query) for fmt in ("csv", "json")}
    links["queue"] = url_for("staff.queue", **query)
    return render_template("staff/dashboard.html", data=data, charts=_charts(data), expiring=expiring,
                           links=links, window=EXPIRY_WINDOW_DAYS)
