"""Admin settings: how long closed, rejected and duplicate items are kept (retention); the
newest backup's age and the last backup drill."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.admin.settings_forms import RetentionForm
from app.extensions import db
from app.services import settings as settings_service
from app.services.ops import backup_file


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    configured = current_app.config["RETENTION_DAYS"]
    policy = settings_service.retention_policy(db.session(), configured)
    form = RetentionForm(data={"days": str(policy.default_days),
                               **{s: str(policy.overrides[s]) for s in policy.overrides}})
    if form.validate_on_submit():
        overrides = {status: getattr(form, status).days for status in settings_service.RETENTION_STATUSES}
        if form.days.days is None:  # cannot pass validation: the field is required
            raise RuntimeError("retention form validated without its number of days")
        settings_service.save_retention(db.session(), current_user, form.days.days, overrides, configured)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form, configured=configured,
                           backups=backup_file.page_status(db.session())), 422 if form.errors else 200
