"""Login in two steps (password, then TOTP; the first login enrolls TOTP) and logout.

Failures are throttled per client, and per account for browsers it never used
(services/login_throttle.py): the address's rate limit and the locks hold back strangers,
while a browser that logged in to the account before (app.auth.remember_device) still gets in."""
from __future__ import annotations

import time
from datetime import timedelta

import segno
from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from markupsafe import Markup

from app import auth
from app.auth import KEYS, end_session, login_client, login_subject, open_key_session
from app.extensions import db, limiter
from app.forms import ConfirmForm, required_text
from app.sealed import key_sessions, keys
from app.security import is_safe_redirect
from app.services import accounts, audit
from app.staff import bp
from app.staff.auth_forms import LoginForm, TotpForm

PENDING_SECONDS = 5 * 60
PENDING = timedelta(seconds=PENDING_SECONDS)


def _locked_message(minutes: int, account: bool = False) -> str:
    if account:  # every browser this account never used, together (services/login_throttle.py)
        return _("Too many wrong passwords were tried for this account from browsers it has not logged in with. "
                 "Please try again in %(minutes)s minutes, or log in from a browser you have logged in with "
                 "before.", minutes=minutes)
    return _("Too many failed attempts from this connection. Please try again in %(minutes)s minutes, "
             "or log in from a browser you have logged in with before.", minutes=minutes)


def _typed_subject() -> str | None:
    return login_subject(request.form["email"]) if request.form.get("email") else None


def _pending_subject() -> str | None:
    user = _pending_user()
    return login_subject(user.email) if user else None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per 10 minutes", methods=["POST"], exempt_when=lambda: auth.remembered_browser(_typed_subject()))
def login():
    form = LoginForm()
    if form.validate_on_submit():
        email, password = required_text(form.email), required_text(form.password)
        client = login_client(login_subject(email))
        result = accounts.check_password(db.session(), email, password, client)
        if result.locked_minutes:
            form.password.errors = [_locked_message(result.locked_minutes, result.account_locked)]
        elif not result.ok or result.user is None:  # ok means a user; the second test narrows its type
            form.password.errors = [_("The e-mail address or password is not correct.")]
        else:
            end_session()
            next_url = request.args.get("next")
            session["pending_login"] = {"id": result.user.id, "at": int(time.time()),
                                        "next": next_url if is_safe_redirect(next_url) else None,
                                        KEYS: _unlock(result.user, password)}
            return redirect(url_for("staff.two_factor"))
    return render_template("staff/login.html", form=form), 422 if form.errors else 200


def _unlock(user, password: str) -> str:
    """Open the account's keys with the password just checked and keep them, until the second
    step, in a short key session of their own (the password itself is not kept anywhere)."""
    try:
        keyring = keys.unlock(db.session(), user, password)
    except keys.KeysError:  # grants made under an older password: an admin must re-grant
        keyring = keys.Keyring()
    token = key_sessions.create(db.session(), "pending", keyring.to_bytes(), PENDING, user.id)
    db.session.commit()
    return token


def _keyring_after_second_step(pending: dict) -> keys.Keyring:
    opened = key_sessions.read(db.session(), pending.get(KEYS), "pending", PENDING, PENDING)
    key_sessions.destroy(db.session(), pending.get(KEYS))
    return keys.Keyring.from_bytes(opened.secrets) if opened else keys.Keyring()


def _pending_user():
    pending = session.get("pending_login")
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None
    return accounts.find_active(db.session(), pending["id"])


@bp.route("/2fa", methods=["GET", "POST"])
@limiter.limit("20 per 10 minutes", methods=["POST"], exempt_when=lambda: auth.remembered_browser(_pending_subject()))
def two_factor():
    user = _pending_user()
    if user is None:
        session.pop("pending_login", None)
        flash(_("Please log in again."), "info")
        return redirect(url_for("staff.login"))
    form = TotpForm()
    if form.validate_on_submit():
        subject = login_subject(user.email)
        result = accounts.verify_totp(db.session(), user, required_text(form.code), login_client(subject))
        if result.ok:
            pending = session.pop("pending_login")
            # A new token after the second step: nothing chosen before login survives it.
            session[KEYS] = open_key_session(user, _keyring_after_second_step(pending))
            db.session.commit()
            next_url = pending.get("next")
            login_user(user)
            session["2fa"] = True
            session["last_seen"] = int(time.time())
            session["lang"] = user.locale
            return auth.remember_device(redirect(next_url or url_for("staff.queue")), subject)
        form.code.errors = [_locked_message(result.locked_minutes) if result.locked_minutes
                            else _("The verification code is not correct. Please enter it again.")]
    enrolling = not user.totp_confirmed
    secret = accounts.ensure_totp_secret(db.session(), user) if enrolling else None
    qr = Markup(_qr_svg(accounts.provisioning_uri(user, secret))) if secret is not None else None  # nosec B704 # see _qr_svg
    return render_template("staff/two_factor.html", form=form, enrolling=enrolling, secret=secret, qr=qr), \
        422 if form.errors else 200


def _qr_svg(uri: str) -> str:
    # segno writes plain SVG markup (no scripts, no style attributes): safe to inline.
    return segno.make(uri, error="m").svg_inline(scale=4, title="QR")


@bp.route("/logout", methods=["POST"])
def logout():
    if ConfirmForm().validate_on_submit() and current_user.is_authenticated:
        audit.record(db.session(), f"user:{current_user.id}", "auth.logout", "user", str(current_user.id))
        db.session.commit()
        end_session(_("You are logged out."))
    return redirect(url_for("staff.login"))
