"""Admins see subscribers (counts per language and topic), export them as CSV, remove one."""
from __future__ import annotations

import math

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import current_user

from app.admin import bp
from app.downloads import attachment_response
from app.extensions import db
from app.forms import ConfirmForm
from app.models import Subscriber
from app.models.base import utcnow
from app.models.outbox import SUBSCRIBER_STATES
from app.services.outreach import subscriptions
from app.services.outreach.updates import TOPICS
from app.vocabularies import SUBSCRIPTION_LANGUAGES

PER_PAGE = 50


@bp.route("/subscribers")
def subscribers():
    state = request.args.get("state") if request.args.get("state") in SUBSCRIBER_STATES else None
    text = request.args.get("q", "").strip()[:200]
    page = max(1, request.args.get("page", 1, type=int))
    rows, total = subscriptions.search(db.session(), state, text, page, PER_PAGE)
    return render_template(
        "admin/subscribers.html", rows=rows, total=total, page=page, pages=max(1, math.ceil(total / PER_PAGE)),
        counts=subscriptions.counts(db.session()), state=state, q=text, topics=TOPICS, languages=SUBSCRIPTION_LANGUAGES,
        states=SUBSCRIBER_STATES,
    )


@bp.route("/subscribers.csv")
def subscribers_csv():
    header = [_("E-mail address"), _("Organization"), _("Language"), _("Topics"), pgettext("subscriber", "Status"),
              _("Subscribed on"), _("Confirmed on"), _("Unsubscribed on")]
    data = subscriptions.export_csv(db.session(), f"user:{current_user.id}", header)
    return attachment_response(data, f"subscribers-{utcnow():%Y-%m-%d}.csv", "text/csv")


@bp.route("/subscribers/<int:subscriber_id>/remove", methods=["GET", "POST"])
def subscriber_remove(subscriber_id):
    subscriber = db.get_or_404(Subscriber, subscriber_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        subscriptions.remove(db.session(), f"user:{current_user.id}", subscriber)
        flash(_("The subscriber was removed."), "success")
        return redirect(url_for("admin.subscribers"))
    return render_template("admin/subscriber_remove.html", subscriber=subscriber, form=form)
