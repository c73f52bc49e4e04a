"""The organization's keys for admins: who holds them, what waits for the search index,
replacing the recovery code (the admin's password again first; the new code is shown once),
and the public half of the signing key for case files — its fingerprint and PEM, on a page to
print for the courts and mechanisms that receive case files, and as a file."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.admin.user_forms import PasswordConfirmForm
from app.auth import account_rate_key, current_keyring, failed_form
from app.downloads import attachment_response
from app.extensions import db, limiter
from app.forms import add_error, required_text
from app.models import User
from app.models.base import utcnow
from app.sealed import keys, search, signing
from app.services import accounts


@bp.route("/keys", methods=["GET", "POST"])
@limiter.limit("5 per 15 minutes", methods=["POST"], key_func=account_rate_key, deduct_when=failed_form)
def keys_page():
    form = PasswordConfirmForm()
    if form.validate_on_submit():
        if not accounts.password_matches(current_user, required_text(form.password)):
            add_error(form.password, _("The password is not correct."))
        else:
            keyring = current_keyring()
            if not keyring.org or not keyring.identity:
                abort(403, description="no_keys")
            code = keys.rotate_recovery(db.session(), keyring, f"user:{current_user.id}")
            db.session.commit()
            return render_template("admin/recovery_code.html", code=code)
    holders = db.session.scalars(sa.select(User).where(User.id.in_(list(keys.grants_by_user(db.session()))))
                                 .order_by(User.email)).all()
    return render_template("admin/keys.html", form=form, org_keys=keys.org_keys(db.session()), holders=holders,
                           grants=keys.grants_by_user(db.session()), waiting=search.pending_count(db.session()),
                           waiting_records=search.pending_count(db.session(), search.RECORDS),
                           **_signing_key()), 422 if form.errors else 200


def _signing_key() -> dict:
    row = signing.current(db.session())
    if row is None:
        return {"signing_key": None}
    return {"signing_key": row, "fingerprint": signing.fingerprint(row.public_key),
            "public_pem": signing.public_pem(row.public_key), "earlier_signing_keys": _earlier_keys()}


def _earlier_keys() -> list[dict]:
    """Keys replaced by `moksori keys rotate-signing`, newest first: case files signed with them
    still check, and a court holding one of these fingerprints needs to know it was replaced."""
    rows = signing.all_keys(db.session())
    return [{"fingerprint": signing.fingerprint(row.public_key), "made": row.created_at, "replaced": newer.created_at}
            for row, newer in zip(rows[1:], rows, strict=False)]


@bp.route("/keys/signing-key")
def signing_key_page():
    """One page to print and hand to a court: the signing key's fingerprint and PEM."""
    found = _signing_key()
    if found["signing_key"] is None:
        abort(404)
    return render_template("admin/signing_key.html", printed=utcnow(), **found)


@bp.route("/keys/signing-key.pem")
def signing_key_pem():
    found = _signing_key()
    if found["signing_key"] is None:
        abort(404)
    return attachment_response(found["public_pem"], "moksori-signing-key.pem", "application/x-pem-file")
