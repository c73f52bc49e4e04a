"""The organization's keys and who may open them (SECURITY.md, "Keys").

OrgKey: one X25519 key pair per purpose — "org" opens every submission's content key,
"identity" opens contact details. The public half is stored as it is; the private half only
wrapped, here under the offline recovery code and in KeyGrant under each staff member's
password. Nothing in these tables opens anything without a code or a password.

KeySession: while a staff member is logged in (or a submitter has entered a receipt code),
the unlocked keys are kept here encrypted under a random key that lives only in that
person's session cookie; the row is found by a hash of that key.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, created_at, intpk, str20

KEY_KINDS = ("org", "identity")


class OrgKey(Base):
    __tablename__ = "org_key"

    id: Mapped[intpk]
    kind: Mapped[str20] = mapped_column(unique=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary())
    # The private key under Argon2id(recovery code): AES-GCM, salt and parameters beside it.
    recovery_wrapped: Mapped[bytes] = mapped_column(sa.LargeBinary())
    recovery_salt: Mapped[bytes] = mapped_column(sa.LargeBinary())
    recovery_params: Mapped[str] = mapped_column(sa.String(100))
    recovery_created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[created_at]


class SigningKey(Base):
    """The organization's Ed25519 signing key, which signs every case file's manifest. Its
    private half is sealed to the org public key (sealed/signing.py): whoever can open
    submissions (a logged-in officer, the recovery code) can sign; a copy of the server cannot.
    The newest row signs; older ones stay so that earlier case files still check."""

    __tablename__ = "signing_key"

    id: Mapped[intpk]
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(), unique=True)
    private_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary())
    created_at: Mapped[created_at]


class KeyGrant(Base):
    """A private key wrapped for one staff account, under Argon2id of its password (with a
    salt of its own: the login hash is a different derivation)."""

    __tablename__ = "key_grant"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind", name="uq_key_grant_user_kind"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str20]
    wrapped: Mapped[bytes] = mapped_column(sa.LargeBinary())
    salt: Mapped[bytes] = mapped_column(sa.LargeBinary())
    params: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[created_at]


class KeySession(Base):
    __tablename__ = "key_session"

    # SHA-256 of the session key the cookie holds: the table alone cannot open `sealed`.
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    kind: Mapped[str20]  # "staff", "receipt" or "group"
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    # A partner group's session (models/groups.py): ended with the group's other sessions.
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partner_group.id", ondelete="CASCADE"), index=True)
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary())
    created_at: Mapped[created_at]
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
