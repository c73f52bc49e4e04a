"""The organization's keys for admins: who holds them, what waits for the search index, and
replacing the recovery code (the admin's password again first; the new code is shown once)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.admin.user_forms import PasswordConfirmForm
from app.auth import account_rate_key, current_keyring, failed_form
from app.extensions import db, limiter
from app.models import User
from app.sealed import keys, search
from app.services import accounts


@bp.route("/keys", methods=["GET", "POST"])
@limiter.limit("5 per 15 minutes", methods=["POST"], key_func=account_rate_key, deduct_when=failed_form)
def keys_page():
    form = PasswordConfirmForm()
    if form.validate_on_submit():
        if not accounts.password_matches(current_user, form.password.data):
            form.password.errors.append(_("The password is not correct."))
        else:
            keyring = current_keyring()
            if not keyring.org or not keyring.identity:
                abort(403, description="no_keys")
            code = keys.rotate_recovery(db.session, keyring, f"user:{current_user.id}")
            db.session.commit()
            return render_template("admin/recovery_code.html", code=code)
    holders = db.session.scalars(sa.select(User).where(User.id.in_(list(keys.grants_by_user(db.session))))
                                 .order_by(User.email)).all()
    return render_template("admin/keys.html", form=form, org_keys=keys.org_keys(db.session), holders=holders,
                           grants=keys.grants_by_user(db.session), waiting=search.pending_count(db.session)), \
        422 if form.errors else 200
