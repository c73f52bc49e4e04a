"""The statistics dashboard: charts drawn on the server, each with its numbers as a table,
over the items the queue's filters (same query string) select, and what expires soon."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user

from app import vocabularies as v
from app.auth import current_keyring
from app.extensions import db
from app.i18n import current_lang
from app.services.ops import retention
from app.services.settings import retention_policy
from app.services.triage import charts, nk_map, snapshot, stats
from app.services.triage import queue as queue_service
from app.staff import bp
from app.staff.queue_forms import FilterForm

CHARTS = {
    "months": (_l("Items received per month"), _l("Month")),
    "categories": (_l("Items by category (top level)"), _l("Top-level category")),
    "provinces": (_l("Items by province"), _l("Province")),
    "statuses": (_l("Items by status"), lazy_pgettext("case", "Status")),
    "response": (_l("Time to first response"), _l("Time to the first message from an officer")),
}
# Short names written on the map itself; the full names are in the table and the tooltips.
MAP_NAMES = {
    "KP-01": lazy_pgettext("map", "Pyongyang"), "KP-02": lazy_pgettext("map", "S. Pyongan"),
    "KP-03": lazy_pgettext("map", "N. Pyongan"), "KP-04": lazy_pgettext("map", "Chagang"),
    "KP-05": lazy_pgettext("map", "S. Hwanghae"), "KP-06": lazy_pgettext("map", "N. Hwanghae"),
    "KP-07": lazy_pgettext("map", "Kangwon"), "KP-08": lazy_pgettext("map", "S. Hamgyong"),
    "KP-09": lazy_pgettext("map", "N. Hamgyong"), "KP-10": lazy_pgettext("map", "Ryanggang"),
    "KP-13": lazy_pgettext("map", "Rason"), "KP-14": lazy_pgettext("map", "Nampo"),
    "KP-15": lazy_pgettext("map", "Kaesong"),
}
# The places that are not on the map, as the list under it names them: said so that "not
# given" reads as a missing place, not as a place.
ELSEWHERE_NAMES = {
    "KP-XX": lazy_pgettext("map", "North Korea (province unknown)"), "UNKNOWN": lazy_pgettext("map", "place unknown"),
    stats.NONE_KEY: lazy_pgettext("map", "no place given"),
}
EXPIRY_WINDOW_DAYS = 7


def queue_filters():
    """The queue's filters from this request's query string, read by the queue's own form
    (an invalid value is ignored there, as on the queue page); paging is not a filter."""
    form = FilterForm(formdata=request.args)
    form.set_choices(db.session, current_lang(), queue_service.assignable_users(db.session()))
    return form.to_filters(db.session, current_user, current_app.config["TIMEZONE"], None, None, current_keyring())


def _charts(data: stats.Dashboard) -> dict[str, dict]:
    """Each chart's title, table heading, rows and drawing: the months as columns, the
    provinces as a map (the rest of the places listed beside it), the others as small bars."""
    found = {key: {"key": key, "title": title, "column": column, "bars": getattr(data, key)}
             for key, (title, column) in CHARTS.items()}
    found["months"]["svg"] = charts.column_chart(data.months)
    for key in ("categories", "statuses", "response"):
        found[key]["svg"] = charts.bar_chart(getattr(data, key))
    counts = {bar.key: bar.value for bar in data.provinces}
    top = max((counts.get(code, 0) for code in nk_map.CODES), default=0)
    found["provinces"].update(
        svg=charts.province_map(counts, {code: str(v.label_for(v.PROVINCES, code)) for code in nk_map.CODES},
                                {code: str(name) for code, name in MAP_NAMES.items()},
                                str(_l("Items by province")),
                                str(_l("A map of North Korea's provinces, darker where more items were reported. "
                                       "The table below has the same numbers."))),
        legend=charts.map_legend(top), source=nk_map.SOURCE_NAME,
        elsewhere=[(str(ELSEWHERE_NAMES.get(bar.key, bar.label)), bar.value)
                   for bar in data.provinces if bar.key not in nk_map.CODES])
    corroborated = data.corroborated
    if corroborated is not None:
        found["corroborated"] = {"key": "corroborated", "title": _l("Corroborated events by year and province"),
                                 "table": corroborated, "svg": charts.bar_chart(corroborated.years)}
    return found


def counted() -> tuple[stats.Dashboard, datetime | None]:
    """The dashboard for this request's filters, and when its numbers were counted: every item's
    come from the last background count (None: counted now, for a filtered view or with
    DASHBOARD_RECOUNT_SECONDS = 0)."""
    timezone, max_age = current_app.config["TIMEZONE"], current_app.config["DASHBOARD_RECOUNT_SECONDS"]
    selection = stats.queue_selection(db.session(), queue_filters())
    if selection is None and max_age > 0:
        # current_app is a LocalProxy, typed as the Flask it stands for: mypy does not know its own method.
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        kept = snapshot.current(db.session, app, timezone, timedelta(seconds=max_age))
        return stats.dashboard_of(db.session(), kept.counts, current_lang()), kept.counted_at
    return stats.dashboard_of(db.session(), stats.count(db.session(), selection, timezone), current_lang()), None


@bp.route("/dashboard")
def dashboard():
    data, counted_at = counted()
    policy = retention_policy(db.session(), current_app.config["RETENTION_DAYS"])
    expiring = [(item, retention.days_left(item, policy))
                for item in retention.expiring_within(db.session(), policy, EXPIRY_WINDOW_DAYS)]
    query: dict[str, Any] = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in ("after", "before")}
    links = {fmt: url_for("staff.export_queue", fmt=fmt, **query) for fmt in ("csv", "json")}
    links["queue"] = url_for("staff.queue", **query)
    return render_template("staff/dashboard.html", data=data, charts=_charts(data), expiring=expiring,
                           links=links, window=EXPIRY_WINDOW_DAYS, counted_at=counted_at,
                           recount_minutes=max(1, current_app.config["DASHBOARD_RECOUNT_SECONDS"] // 60))
