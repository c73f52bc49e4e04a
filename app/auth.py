"""Flask-Login wiring and the session rules shared by the staff and admin blueprints.

A staff session is valid only when the password and the TOTP step both succeeded in it
(`session["2fa"]`), the user is active, the session version still matches, the last request
was less than IDLE_MINUTES ago, and its key session (sealed/key_sessions.py) still exists
on the server. The cookie alone is therefore not enough: logout, a password change,
deactivation, a 2FA reset or an admin ending the sessions delete the server's row, and a
copied cookie stops working at once. The key session also holds the keys the password
unlocked (g.keyring), encrypted under a key only the cookie carries.

Login throttling (services/login_throttle.py) tells clients apart here: the e-mail address
typed and the client address become keyed digests, and a browser that completed a login keeps
a signed device cookie, so that its owner still gets in while strangers are locked out.
"""
from __future__ import annotations

import hmac
import secrets
import time
from datetime import timedelta

from flask import Flask, Response, current_app, flash, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, logout_user
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.wrappers import Response as BaseResponse

from app.extensions import db
from app.models import User
from app.sealed import key_sessions
from app.sealed.keys import Keyring
from app.security import keyed_digest, rate_limit_key
from app.services import login_throttle
from app.services.accounts import find_active, normalize_email

IDLE_MINUTES = 30
IDLE = timedelta(minutes=IDLE_MINUTES)
LIFETIME = timedelta(hours=12)  # even an active session logs in again after a working day
KEYS = "keys"  # the Flask session entry with the key session's token
DEVICE_COOKIE = "moksori_device"
DEVICE_DAYS = 180
class _LoginManager(LoginManager):
    """Flask-Login's "strong" session protection, for staff sessions only. A session without a
    logged-in account (a submitter's, opened with a receipt code) has nothing to protect, but
    Flask-Login took it for a stolen one (no `_id`) and answered every request with a deleting
    `remember_token` cookie — a second cookie on a public page, and one that says the site has
    logins (issue 20; tests/public/test_no_cookies.py). Remember-me is never used."""

    def _session_protection_failed(self) -> bool:
        if "_user_id" not in session:
            return False
        return super()._session_protection_failed()


login_manager = _LoginManager()


@login_manager.user_loader
def load_user(user_id: str):
    raw_id, _, version = user_id.partition(":")
    if not raw_id.isdigit():
        return None
    user = find_active(db.session(), int(raw_id))
    if user is None or str(user.session_version) != version:
        return None
    opened = key_sessions.read(db.session(), session.get(KEYS), "staff", IDLE, LIFETIME)
    if opened is None or opened.user_id != user.id:
        return None
    g.keyring = Keyring.from_bytes(opened.secrets)
    g.key_session_id = opened.row_id
    return user


def current_keyring() -> Keyring:
    """The keys the logged-in staff member's password unlocked (empty when none were granted)."""
    return g.get("keyring") or Keyring()


def key_session_alive():
    """A test for later (the search worker's thread): does this request's key session still
    exist, or did its officer log out or go idle? The thread stops with it."""
    row_id = g.get("key_session_id")
    return lambda db_session: row_id is not None and key_sessions.alive(db_session, row_id)


def open_key_session(user: User, keyring: Keyring) -> str:
    """A key session for a password that was just checked; its token goes into the cookie."""
    return key_sessions.create(db.session(), "staff", keyring.to_bytes(), IDLE, user.id)


def replace_keyring(keyring: Keyring) -> None:
    """New keys for this session (keys created or granted while logged in)."""
    key_sessions.replace(db.session(), session[KEYS], keyring.to_bytes())
    g.keyring = keyring


def staff_ready() -> bool:
    return bool(current_user.is_authenticated and session.get("2fa"))


def end_session(message=None) -> None:
    """Log out: the key session's row goes (a copy of the cookie opens nothing afterwards)."""
    pending = session.get("pending_login") or {}
    for token in (session.get(KEYS), pending.get(KEYS)):
        key_sessions.destroy(db.session(), token)
    db.session.commit()
    logout_user()
    for key in ("2fa", "pending_login", "last_seen", KEYS):
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


# Pages a staff member with a one-time set-up password may open before choosing their own.
SETUP_ENDPOINTS = {"staff.account", "staff.logout", "staff.set_language"}


def require_staff(allowed_endpoints: set[str]):
    """before_request gate for a blueprint: everything needs a full staff session except the
    allow-list. A session that logged in with a one-time set-up password sees only the
    password change until it has a password of its own."""
    if request.endpoint in allowed_endpoints:
        return None
    if (response := enforce_idle_timeout()) is not None:
        return response
    if not staff_ready():
        return redirect(url_for("staff.login", next=request.full_path if request.method == "GET" else None))
    if db.session.dirty:  # the key session's idle deadline moved
        db.session.commit()
    if current_user.must_change_password and request.endpoint not in SETUP_ENDPOINTS:
        return redirect(url_for("staff.account"))
    return None


def login_subject(email: str) -> str:
    """Who a login is for, as the throttle counts it: a keyed digest of the address typed,
    the same whether or not an account has it."""
    return keyed_digest("login subject", normalize_email(email))


def _devices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="moksori staff device")


def login_client(subject: str) -> login_throttle.Client:
    """This request as a login client: the subject, the client address (a keyed digest) and,
    if this browser completed a login for the same subject before, its device."""
    device = None
    try:
        remembered = _devices().loads(request.cookies.get(DEVICE_COOKIE, ""), max_age=DEVICE_DAYS * 86400)
    except BadData:
        remembered = None
    if isinstance(remembered, dict) and hmac.compare_digest(str(remembered.get("s")), subject):
        device = keyed_digest("login device", str(remembered.get("d")))
    return login_throttle.Client(subject, rate_limit_key(), device)


def remember_device(response: BaseResponse, subject: str) -> BaseResponse:
    """After a full login: this browser is the account's own from now on (a random id, signed;
    the server keeps nothing but counts of its failures)."""
    token = _devices().dumps({"s": subject, "d": secrets.token_urlsafe(16)})
    response.set_cookie(DEVICE_COOKIE, token, max_age=DEVICE_DAYS * 86400, path="/staff/", httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Strict")
    return response


def remembered_browser(subject: str | None) -> bool:
    """For the address rate limits on the login pages: a browser this account logged in with
    before, whose own failures have not locked it, is not held back by what others sent from
    the same address (login_throttle still counts its failures)."""
    if not subject:
        return False
    client = login_client(subject)
    return client.device is not None and not login_throttle.locked_minutes(db.session(), client, "password")


def account_rate_key() -> str:
    """Rate-limit key for a password asked again behind a login (password change, recovery
    code rotation): the account, not the address that colleagues may share. A session in the
    wrong hands gets a few guesses at the password that opens the keys, not an endless run."""
    return f"account:{current_user.id}" if current_user.is_authenticated else rate_limit_key()


def failed_form(response: Response) -> bool:
    """Only a refused form counts against such a limit."""
    return response.status_code == 422


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    app.jinja_env.globals["staff_ready"] = staff_ready
