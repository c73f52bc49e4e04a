"""Log staff in through the real forms: password, then TOTP (enrolled on first login)."""
from __future__ import annotations

import re

import pyotp

from app.extensions import db
from app.services.accounts import create_user
from tests.helpers import post_form

PASSWORD = "correct horse battery staple"
SECRET_RE = re.compile(r'id="totp-secret">([A-Z2-7]+)<')


def make_user(app, email="officer@example.org", role="officer", languages=("ko",), name="", locale=None):
    with app.app_context():
        user = create_user(db.session, email, PASSWORD, role=role, name=name or email.split("@")[0],
                           languages=list(languages))
        if locale:
            user.locale = locale
        db.session.commit()
        return user.id


def totp_code(secret: str, offset_steps: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    import time

    return totp.at(time.time() + offset_steps * totp.interval)


def login(client, app, role="officer", email=None, languages=("ko",), locale=None):
    """Create the user if needed and log in fully. Returns the TOTP secret."""
    email = email or f"{role}@example.org"
    import sqlalchemy as sa

    from app.models import User

    with app.app_context():
        exists = db.session.scalar(sa.select(User.id).where(User.email == email))
    if not exists:
        make_user(app, email=email, role=role, languages=languages, locale=locale)
    response = post_form(client, "/staff/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    page = client.get("/staff/2fa").get_data(as_text=True)
    secret = SECRET_RE.search(page).group(1)  # first login: enrolment shows the secret (each user logs in once)
    response = post_form(client, "/staff/2fa", {"code": totp_code(secret)})
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return secret
