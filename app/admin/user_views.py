"""Admins manage staff accounts: create them, give access again, end sessions, grant or take
the contact right, deactivate or reactivate, reset 2FA.

An account reaches the organization's keys only through a grant wrapped under its own
password, so whatever gives access (a new account, a forgotten password, the contact right)
wraps the keys, from the admin's unlocked session, under a one-time set-up password that is
shown to the admin once; the person replaces it at the first login.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.admin.user_forms import NewAccountForm
from app.auth import current_keyring
from app.extensions import db
from app.forms import ConfirmForm, add_error, chosen, required_text
from app.models import User
from app.sealed import key_sessions, keys
from app.services import accounts, login_throttle


def _admin_keys() -> keys.Keyring:
    """Only a session holding both keys can hand them on."""
    keyring = current_keyring()
    if not keyring.org or not keyring.identity:
        abort(403, description="no_keys")
    return keyring


def _setup_page(user: User, password: str):
    return render_template("admin/user_setup_password.html", user=user, password=password)


@bp.route("/users")
def users():
    rows = db.session.scalars(sa.select(User).order_by(User.role.desc(), User.email)).all()
    sessions = {user.id: key_sessions.active_count(db.session(), user.id) for user in rows}
    return render_template("admin/users.html", users=rows, action_form=ConfirmForm(),
                           grants=keys.grants_by_user(db.session()), sessions=sessions,
                           bursts=accounts.failure_bursts(db.session()), burst_hours=accounts.BURST_HOURS,
                           account_cap=login_throttle.ACCOUNT_LOCK_AFTER)


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = NewAccountForm()
    if form.validate_on_submit():
        keyring = _admin_keys()
        password = accounts.new_setup_password()
        try:
            user = accounts.create_user(db.session(), required_text(form.email), password, role=form.role.data,
                                        name=form.name.data or "", languages=list(chosen(form.languages)),
                                        actor=f"user:{current_user.id}", keyring=keyring,
                                        contact_access=form.contact_access.data, setup=True)
        except accounts.AccountError:
            db.session.rollback()
            add_error(form.email, _("An account with this e-mail address already exists."))
        else:
            db.session.commit()
            return _setup_page(user, password)
    return render_template("admin/user_new.html", form=form), 422 if form.errors else 200


@bp.route("/users/<int:user_id>/regrant", methods=["POST"])
def regrant(user_id):
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit() or not user.active or user.id == current_user.id:
        return redirect(url_for("admin.users"))
    return _setup_page(user, accounts.regrant(db.session(), current_user, user, _admin_keys()))


@bp.route("/users/<int:user_id>/contact", methods=["POST"])
def toggle_contact(user_id):
    """Giving the contact right needs the identity key wrapped for the person: like a re-grant,
    it goes through a one-time set-up password. Taking it away deletes that copy and ends the
    account's sessions, which hold the key they unlocked."""
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit() or not user.active:
        return redirect(url_for("admin.users"))
    if user.contact_access:
        accounts.take_contact_right(db.session(), current_user, user)
        flash(_("This account can no longer see contact details."), "success")
        return redirect(url_for("admin.users"))
    keyring = _admin_keys()
    user.contact_access = True
    return _setup_page(user, accounts.regrant(db.session(), current_user, user, keyring))


@bp.route("/users/<int:user_id>/end-sessions", methods=["POST"])
def end_sessions(user_id):
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        ended = accounts.end_sessions(db.session(), current_user, user)
        flash(_("Sessions ended: %(count)s. Copies of their cookies no longer work.", count=ended), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def toggle_active(user_id):
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        if user.id == current_user.id:
            flash(_("You cannot deactivate your own account."), "error")
        else:
            accounts.set_active(db.session(), current_user, user, not user.active)
            flash(_("Saved."), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/reset-2fa", methods=["POST"])
def reset_two_factor(user_id):
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        accounts.reset_totp(db.session(), current_user, user)
        flash(_("Two-step verification was reset. The user sets it up again at the next login."), "success")
    return redirect(url_for("admin.users"))
