"""The queue: every report and contact request, filtered, sorted, searched; bulk actions."""
from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.auth import current_keyring
from app.extensions import db
from app.i18n import current_lang
from app.sealed import search
from app.security import is_safe_redirect
from app.services.triage import queue as queue_service
from app.staff import bp
from app.staff.item_actions import refusal_message
from app.staff.queue_forms import BulkForm, FilterForm, row_labels


def queue_link(**changes) -> str:
    """This queue view with some arguments changed; paging starts over unless a cursor is given."""
    args = request.args.copy()
    for name in ("after", "before", *changes):
        args.pop(name, None)
    args.update({name: value for name, value in changes.items() if value not in (None, "")})
    values: dict[str, Any] = args.to_dict(flat=False)  # url_for's own keywords are typed; ours are lists
    return url_for("staff.queue", **values)


@bp.route("/")
def queue():
    users = queue_service.assignable_users(db.session())
    form = FilterForm(formdata=request.args)
    form.set_choices(db.session, current_lang(), users)
    filters = form.to_filters(db.session, current_user, current_app.config["TIMEZONE"],
                              request.args.get("after"), request.args.get("before"), current_keyring())
    page = queue_service.queue_page(db.session(), filters)
    counts = queue_service.status_counts(db.session(), filters, exact=request.args.get("counts") == "all")
    bulk = BulkForm(formdata=None, prefix="bulk", next=request.full_path)
    bulk.set_choices(users)
    return render_template("staff/queue.html", form=form, filters=filters, page=page, counts=counts,
                           count_limit=queue_service.COUNT_LIMIT, status_count_limit=queue_service.STATUS_COUNT_LIMIT,
                           bulk=bulk, queue_link=queue_link, labels=row_labels(),
                           waiting=search.pending_count(db.session()))


@bp.route("/bulk", methods=["POST"])
def queue_bulk():
    form = BulkForm(prefix="bulk")
    form.set_choices(queue_service.assignable_users(db.session()))
    form.validate()
    back = form.next.data if is_safe_redirect(form.next.data) and form.next.data.startswith("/staff/") else None
    change = form.change(db.session, current_user._get_current_object(), current_keyring())
    if not form.selected():
        flash(_("No item was selected. Tick the items to change first."), "error")
    elif change is None:
        flash(_("Please choose one of the options."), "error")
    else:
        _report(queue_service.bulk_apply(db.session(), form.selected(), change))
    return redirect(back or url_for("staff.queue"))


def _report(outcome: queue_service.BulkOutcome) -> None:
    if outcome.done:
        flash(ngettext("%(num)s item changed.", "%(num)s items changed.", len(outcome.done)), "success")
    for public_id, reason in outcome.refused:
        problem = (_("This item no longer exists.") if reason == "missing"
                   else refusal_message(reason, outcome.statuses.get(public_id)))
        flash(_("%(item)s not changed: %(problem)s", item=public_id, problem=problem), "error")
