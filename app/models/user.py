"""Staff accounts: officers and admins. Passwords are hashed with Argon2id; the TOTP secret
is stored encrypted; the last TOTP step refuses replays. LoginThrottle counts failed logins
per client of an account, and for the browsers an account never used together (services/login_throttle.py)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, bool_false, created_at, intpk, split_codes, str20

ROLES = ("officer", "admin")


class User(UserMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str20] = mapped_column(default="officer")
    languages: Mapped[str] = mapped_column(sa.String(20), default="ko")  # "ko", "en" or "ko,en"
    locale: Mapped[str] = mapped_column(sa.String(5), default="ko")
    active: Mapped[bool] = mapped_column(sa.Boolean(), default=True, server_default=sa.true())
    totp_secret_encrypted: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    totp_confirmed: Mapped[bool_false]
    # The last accepted TOTP time step: a code is accepted once, never replayed.
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger())
    # Bumped on password change, deactivation or 2FA reset: older sessions stop working.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # May see submitters' contact details: only such accounts are given the identity key.
    contact_access: Mapped[bool_false]
    # Logged in with a one-time set-up password (new account, re-grant, recovery): the first
    # page is the password change, which re-wraps the keys under the person's own password.
    must_change_password: Mapped[bool_false]
    created_at: Mapped[created_at]

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated users cannot log in
        return self.active

    def get_id(self) -> str:
        # The session version is part of the id: bumping it logs out every older session.
        return f"{self.id}:{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def language_list(self) -> list[str]:
        return split_codes(self.languages)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class LoginThrottle(Base):
    """Failed logins of one client of one account in the current window: a remembered browser,
    an (account, address) pair, or the account's first or second step for every other client. `key` is
    a hash of keyed digests: the table holds no e-mail address and no client address, and a
    row goes once its window and lock have passed."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    # Indexed: every failure deletes the rows whose window and lock have passed.
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
