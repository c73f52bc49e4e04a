"""Admin settings: how long closed, rejected and duplicate items are kept (retention)."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import ValidationError

from app.admin import bp
from app.extensions import db
from app.public.report_forms import clean_text
from app.services import settings as settings_service


def _days(value: str | None) -> int | None:
    value = (value or "").replace(",", "").strip()
    if not value:
        return None
    if not value.isdigit() or not settings_service.MIN_DAYS <= int(value) <= settings_service.MAX_DAYS:
        raise ValidationError(_l("Please enter a whole number of days from %(min)s to %(max)s.",
                                 min=settings_service.MIN_DAYS, max=f"{settings_service.MAX_DAYS:,}"))
    return int(value)


class DaysField(StringField):
    """Typed text is kept on error; `days` holds the number once validated."""

    def __init__(self, label, required=False, **kwargs):
        super().__init__(label, filters=[clean_text], render_kw={"inputmode": "numeric", "autocomplete": "off"}, **kwargs)
        self.required = required

    def pre_validate(self, form):
        self.days = None
        self.days = _days(self.data)
        if self.required and self.days is None:
            raise ValidationError(_l("Please enter the number of days."))


class RetentionForm(FlaskForm):
    days = DaysField(_l("Keep closed, rejected and duplicate items for (days)"), required=True)
    closed = DaysField(_l("Closed items (days; empty: as above)"))
    rejected = DaysField(_l("Rejected items (days; empty: as above)"))
    duplicate = DaysField(_l("Duplicate items (days; empty: as above)"))
    submit = SubmitField(_l("Save"))


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    configured = current_app.config["RETENTION_DAYS"]
    policy = settings_service.retention_policy(db.session, configured)
    form = RetentionForm(data={"days": str(policy.default_days),
                               **{s: str(policy.overrides[s]) for s in policy.overrides}})
    if form.validate_on_submit():
        overrides = {status: getattr(form, status).days for status in settings_service.RETENTION_STATUSES}
        settings_service.save_retention(db.session, current_user, form.days.days, overrides, configured)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form, configured=configured), 422 if form.errors else 200
