"""Partner groups: escapee groups that gather testimonies and send them from one space
(issue 23; SECURITY.md, "Partner groups").

A group has its own X25519 key pair. The public half is stored as it is; the private half
only wrapped — under Argon2id of the group's passphrase, and under a group recovery code
shown once at joining. Each submission the group sends has its content key sealed to the
organization key (as every submission) and to the group's public key (Submission.key_for_group).

The group's name and its members' contact details are one value sealed to the identity key
(profile_sealed): only staff with the contact right read them. When the group agrees to be
named as the source of its testimonies, the name it chose for that is sealed to the org key
(source_name_sealed), which every officer's session opens for a case file.

In the clear: a random public id (the group's login id), the state, dates, whether the group
agreed to be named, and which submissions came from the same group (Submission.group_id).
The invitation code is never stored: only a look-up derived from it by Argon2id, deleted at
joining.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, bool_false, created_at, intpk, str20
from app.models.submission import SealedValues, sealed_text

if TYPE_CHECKING:
    from app.models.user import User

GROUP_STATES = ("invited", "active", "suspended")


class PartnerGroup(Base):
    __tablename__ = "partner_group"

    id: Mapped[intpk]
    public_id: Mapped[str] = mapped_column(sa.String(16), unique=True)
    status: Mapped[str20] = mapped_column(default="invited")
    # {"name": …, "contacts": …}, sealed to the identity key (sealed/groups.py).
    profile_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary())
    # Argon2id-derived look-up of the one-time invitation code (never the code); None once used.
    invite_lookup: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    invite_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The group's key pair, set at joining: the private half wrapped under the passphrase and
    # under the group recovery code, each with its salt and Argon2id parameters.
    public_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    key_wrapped: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    key_salt: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    key_params: Mapped[str | None] = mapped_column(sa.String(100))
    recovery_wrapped: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    recovery_salt: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    recovery_params: Mapped[str | None] = mapped_column(sa.String(100))
    # Optional second step: the TOTP secret under the installation key, as staff accounts'.
    totp_secret_encrypted: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger())
    # Whether case files may name the group as the source, and the name to use (org key).
    named: Mapped[bool_false]
    source_name_sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    # Raised by "end sessions" and suspension: a session made before no longer opens the space.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[created_at]
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    messages: Mapped[list[GroupMessage]] = relationship(
        back_populates="group", order_by="GroupMessage.id", cascade="all, delete-orphan")

    @property
    def totp_enabled(self) -> bool:
        return self.totp_secret_encrypted is not None

    def __repr__(self) -> str:
        return f"<PartnerGroup {self.public_id} {self.status}>"


class GroupMessage(SealedValues, Base):
    """A message from officers to a group as a whole, shown in the group's space. Sealed to the
    group's public key (the space reads it) and to the org key (officers read what was sent)."""

    __tablename__ = "partner_group_message"

    id: Mapped[intpk]
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("partner_group.id", ondelete="CASCADE"), index=True)
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    body_for_group: Mapped[bytes] = mapped_column(sa.LargeBinary())
    body_for_org: Mapped[bytes] = mapped_column(sa.LargeBinary())
    created_at: Mapped[created_at]

    group: Mapped[PartnerGroup] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship(lazy="joined")

    body = sealed_text("body", "")
