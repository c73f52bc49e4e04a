"""Admins write, edit, publish and unpublish updates. Publishing queues the subscriber mail."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import ValidationError

from app.admin import bp
from app.extensions import db
from app.models import Update
from app.public.report_forms import MaxChars, clean_text
from app.public.subscribe_forms import topics_field
from app.services.outreach import subscriptions
from app.services.outreach import updates as update_service
from app.staff.auth_forms import ConfirmForm

BODY_MAX = 100_000


class UpdateForm(FlaskForm):
    slug = StringField(_l("Web address (slug)"), filters=[clean_text], validators=[MaxChars(80)],
                       render_kw={"autocapitalize": "off", "spellcheck": "false"})
    title_ko = StringField(_l("Korean title"), filters=[clean_text], validators=[MaxChars(200)])
    summary_ko = TextAreaField(_l("Korean summary"), filters=[clean_text], validators=[MaxChars(500)], render_kw={"rows": 2})
    body_ko = TextAreaField(_l("Korean text (Markdown)"), filters=[clean_text], validators=[MaxChars(BODY_MAX)],
                            render_kw={"rows": 14})
    title_en = StringField(_l("English title"), filters=[clean_text], validators=[MaxChars(200)])
    summary_en = TextAreaField(_l("English summary"), filters=[clean_text], validators=[MaxChars(500)], render_kw={"rows": 2})
    body_en = TextAreaField(_l("English text (Markdown)"), filters=[clean_text], validators=[MaxChars(BODY_MAX)],
                            render_kw={"rows": 14})
    topics = topics_field()
    submit = SubmitField(_l("Save"))

    def validate_slug(self, field):
        if field.data and not update_service.SLUG.match(field.data):
            raise ValidationError(_l("Use lower-case Latin letters, digits and hyphens only, e.g. 2026-detention-report."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for title, body in ((self.title_ko, self.body_ko), (self.title_en, self.body_en)):
            if bool(title.data) != bool(body.data):
                (body if title.data else title).errors.append(
                    _("Please write both a title and a text in this language, or leave both empty."))
                valid = False
        if not (self.title_ko.data or self.title_en.data):
            self.title_ko.errors.append(_("Please write the update in Korean, in English, or in both."))
            valid = False
        return valid

    def to_data(self) -> update_service.UpdateData:
        names = ("slug", "title_ko", "title_en", "summary_ko", "summary_en", "body_ko", "body_en")
        return update_service.UpdateData(**{name: getattr(self, name).data or "" for name in names},
                                         topics=list(self.topics.data or []))


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
            update = update_service.save(db.session, _actor(), form.to_data(), update)
        except update_service.SlugTaken:
            db.session.rollback()
            form.slug.errors.append(_("Another update already uses this address. Please choose another one."))
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.update_edit", update_id=update.id))
    return render_template("admin/update_edit.html", form=form, update=update, action_form=ConfirmForm(),
                           render_body=update_service.render_body), 422 if form.errors else 200


@bp.route("/updates/<int:update_id>/publish", methods=["POST"])
def update_publish(update_id):
    update = db.get_or_404(Update, update_id)
    if ConfirmForm().validate_on_submit():
        queued = update_service.publish(db.session, _actor(), update, subscriptions.Links.from_config(current_app.config))
        flash(ngettext("Published. %(num)d e-mail is ready to be sent to subscribers.",
                       "Published. %(num)d e-mails are ready to be sent to subscribers.", queued), "success")
    return redirect(url_for("admin.update_edit", update_id=update.id))


@bp.route("/updates/<int:update_id>/unpublish", methods=["POST"])
def update_unpublish(update_id):
    update = db.get_or_404(Update, update_id)
    if ConfirmForm().validate_on_submit():
        update_service.unpublish(db.session, _actor(), update)
        flash(_("The update is a draft again and no longer shown on the site."), "success")
    return redirect(url_for("admin.update_edit", update_id=update.id))
