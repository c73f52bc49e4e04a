"""Admins write, edit, publish and unpublish updates. Publishing queues the subscriber mail."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.admin import bp
from app.admin.update_forms import UpdateForm
from app.extensions import db
from app.forms import ConfirmForm, add_error
from app.models import Update
from app.services.outreach import subscriptions
from app.services.outreach import updates as update_service


def _actor() -> str:
    return f"user:{current_user.id}"


@bp.route("/updates")
def updates():
    rows = db.session.scalars(sa.select(Update).order_by(Update.created_at.desc(), Update.id.desc())).all()
    return render_template("admin/updates.html", updates=rows, topic_label=update_service.topic_label)


@bp.route("/updates/new", methods=["GET", "POST"])
def update_new():
    return _edit(None)


@bp.route("/updates/<int:update_id>", methods=["GET", "POST"])
def update_edit(update_id):
    return _edit(db.get_or_404(Update, update_id))


def _edit(update: Update | None):
    form = UpdateForm(obj=update)
    if not form.is_submitted() and update is not None:
        form.topics.data = update.topic_list
    if form.validate_on_submit():
        try:
            update = update_service.save(db.session(), _actor(), form.to_data(), update)
        except update_service.SlugTaken:
            db.session.rollback()
            add_error(form.slug, _("Another update already uses this address. Please choose another one."))
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.update_edit", update_id=update.id))
    return render_template("admin/update_edit.html", form=form, update=update, action_form=ConfirmForm(),
                           render_body=update_service.render_body), 422 if form.errors else 200


@bp.route("/updates/<int:update_id>/publish", methods=["POST"])
def update_publish(update_id):
    update = db.get_or_404(Update, update_id)
    if ConfirmForm().validate_on_submit():
        queued = update_service.publish(db.session(), _actor(), update,
                                        subscriptions.Links.from_config(current_app.config))
        flash(ngettext("Published. %(num)d e-mail is ready to be sent to subscribers.",
                       "Published. %(num)d e-mails are ready to be sent to subscribers.", queued), "success")
    return redirect(url_for("admin.update_edit", update_id=update.id))


@bp.route("/updates/<int:update_id>/unpublish", methods=["POST"])
def update_unpublish(update_id):
    update = db.get_or_404(Update, update_id)
    if ConfirmForm().validate_on_submit():
        update_service.unpublish(db.session(), _actor(), update)
        flash(_("The update is a draft again and no longer shown on the site."), "success")
    return redirect(url_for("admin.update_edit", update_id=update.id))
