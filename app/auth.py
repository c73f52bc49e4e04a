"""Flask-Login wiring and the session rules shared by the staff and admin blueprints.

A staff session is valid only when the password and the TOTP step both succeeded in it
(`session["2fa"]`), the user is active, the session version still matches, and the last
request was less than IDLE_MINUTES ago.
"""
from __future__ import annotations

import time

from flask import Flask, flash, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, logout_user

from app.extensions import db
from app.services.accounts import find_active

IDLE_MINUTES = 30
login_manager = LoginManager()


@login_manager.user_loader
def load_user(user_id: str):
    raw_id, _, version = user_id.partition(":")
    if not raw_id.isdigit():
        return None
    user = find_active(db.session, int(raw_id))
    if user is None or str(user.session_version) != version:
        return None
    return user


def staff_ready() -> bool:
    return bool(current_user.is_authenticated and session.get("2fa"))


def end_session(message=None) -> None:
    logout_user()
    for key in ("2fa", "pending_login", "last_seen"):
        session.pop(key, None)
    if message:
        flash(message, "info")


def enforce_idle_timeout():
    """Log out a staff session idle for more than IDLE_MINUTES; otherwise note this request."""
    if not current_user.is_authenticated:
        return None
    last_seen = session.get("last_seen", 0)
    if time.time() - last_seen > IDLE_MINUTES * 60:
        end_session(_l("You were logged out after a period of inactivity. Please log in again."))
        return redirect(url_for("staff.login", next=request.full_path if request.method == "GET" else None))
    session["last_seen"] = int(time.time())
    session.permanent = True
    return None


def require_staff(allowed_endpoints: set[str]):
    """before_request gate for a blueprint: everything needs a full staff session except the allow-list."""
    if request.endpoint in allowed_endpoints:
        return None
    if (response := enforce_idle_timeout()) is not None:
        return response
    if not staff_ready():
        return redirect(url_for("staff.login", next=request.full_path if request.method == "GET" else None))
    return None


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    app.jinja_env.globals["staff_ready"] = staff_ready
