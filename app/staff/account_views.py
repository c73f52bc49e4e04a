"""A staff member's own account: language of the staff pages and password."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from app.auth import KEYS, account_rate_key, current_keyring, failed_form, staff_ready
from app.extensions import db, limiter
from app.forms import ConfirmForm, required_text
from app.i18n import SUPPORTED_LOCALES
from app.security import is_safe_redirect
from app.services import accounts
from app.staff import bp
from app.staff.account_forms import PasswordChangeForm, PreferencesForm


@bp.route("/account", methods=["GET", "POST"])
@limiter.limit("5 per 15 minutes", methods=["POST"], key_func=account_rate_key, deduct_when=failed_form)
def account():
    preferences = PreferencesForm(prefix="pref", locale=current_user.locale)
    password = PasswordChangeForm(prefix="pw")
    if preferences.submit.data and preferences.validate_on_submit():
        accounts.set_locale(db.session(), current_user, preferences.locale.data)
        session["lang"] = preferences.locale.data
        flash(_("Saved."), "success")
        return redirect(url_for("staff.account"))
    if password.submit.data and password.validate_on_submit():
        if accounts.change_password(db.session(), current_user, required_text(password.current),
                                    required_text(password.new),
                                    current_keyring(), keep_session=session.get(KEYS)):
            # The session version changed: renew this session (the others end).
            login_user(current_user._get_current_object())
            flash(_("Your password was changed. Other sessions were logged out."), "success")
            return redirect(url_for("staff.account"))
        password.current.errors = [_("The current password is not correct.")]
    failed = preferences.errors or password.errors
    return render_template("staff/account.html", preferences=preferences, password=password), 422 if failed else 200


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the staff pages' language; for a logged-in user it becomes their preference."""
    lang = request.form.get("lang")
    if lang in SUPPORTED_LOCALES and ConfirmForm().validate_on_submit():
        session["lang"] = lang
        if staff_ready():
            accounts.set_locale(db.session(), current_user, lang)
    target = request.form.get("next", "")
    return redirect(target if is_safe_redirect(target) else url_for("staff.login"))
