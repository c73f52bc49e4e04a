"""Admins manage staff accounts: list, deactivate or reactivate, reset 2FA."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.extensions import db
from app.forms import ConfirmForm
from app.models import User
from app.services import accounts


@bp.route("/users")
def users():
    rows = db.session.scalars(sa.select(User).order_by(User.role.desc(), User.email)).all()
    return render_template("admin/users.html", users=rows, action_form=ConfirmForm())


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def toggle_active(user_id):
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        if user.id == current_user.id:
            flash(_("You cannot deactivate your own account."), "error")
        else:
            accounts.set_active(db.session, current_user, user, not user.active)
            flash(_("Saved."), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/reset-2fa", methods=["POST"])
def reset_two_factor(user_id):
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        accounts.reset_totp(db.session, current_user, user)
        flash(_("Two-step verification was reset. The user sets it up again at the next login."), "success")
    return redirect(url_for("admin.users"))
