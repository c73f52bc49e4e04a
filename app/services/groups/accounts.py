"""A partner group's life: created by an admin with a one-time invitation code, joined by the
group (passphrase, key pair, recovery code), logged in to, suspended, its sessions ended.
Every change is in the audit log; nothing the group is called goes into it."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

import pyotp
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import PartnerGroup
from app.models.base import utcnow
from app.sealed import groups as sealed_groups
from app.sealed import installation, key_sessions
from app.sealed.keys import KeysError
from app.services import audit, login_throttle
from app.services.refusal import Refused

INVITE_DAYS = 14
PASSPHRASE_MIN = 12
GROUP_ID_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed by hand
GROUP_ID_LENGTH = 8


class GroupRefused(Refused):
    """reason: "bad_code" (unknown, used or expired invitation), "short_passphrase",
    "wrong_login", "locked", "suspended", "bad_totp"."""

    def __init__(self, reason: str, minutes: int = 0):
        super().__init__(reason)
        self.minutes = minutes


def new_group_id() -> str:
    return "".join(secrets.choice(GROUP_ID_ALPHABET) for _ in range(GROUP_ID_LENGTH))


def normalize_group_id(text: str | None) -> str:
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())[:16]


def find(session: Session, public_id: str) -> PartnerGroup | None:
    return session.scalar(sa.select(PartnerGroup).where(PartnerGroup.public_id == public_id))


def all_groups(session: Session) -> list[PartnerGroup]:
    return list(session.scalars(sa.select(PartnerGroup).order_by(PartnerGroup.created_at.desc(), PartnerGroup.id)))


def _invite(session: Session, group: PartnerGroup) -> str:
    code = sealed_groups.new_invite_code()
    group.invite_lookup = sealed_groups.invite_lookup(session, code)
    group.invite_expires_at = utcnow() + timedelta(days=INVITE_DAYS)
    return code


def create(session: Session, name: str, contacts: str, actor: str) -> tuple[PartnerGroup, str]:
    """A new group, its name and contacts sealed to the identity key; returns it with its
    invitation code (shown once, never stored). The caller commits."""
    group = PartnerGroup(public_id=new_group_id(), status="invited", profile_sealed=b"")
    code = _invite(session, group)
    sealed_groups.seal_profile(session, group, name, contacts)
    session.add(group)
    session.flush()
    audit.record(session, actor, "group.created", "partner_group", group.public_id, {})
    return group, code


def reinvite(session: Session, group: PartnerGroup, actor: str) -> str:
    """A new invitation code for a group that has not joined (the first was lost or expired)."""
    if group.status != "invited":
        raise GroupRefused("joined")
    code = _invite(session, group)
    audit.record(session, actor, "group.reinvited", "partner_group", group.public_id, {})
    return code


def end_sessions(session: Session, group: PartnerGroup, actor: str) -> int:
    """Every open session of the group ends now (its rows go; the version refuses any other)."""
    group.session_version += 1
    ended = key_sessions.destroy_for_group(session, group.id)
    audit.record(session, actor, "group.sessions_ended", "partner_group", group.public_id, {"sessions": ended})
    return ended


def set_suspended(session: Session, group: PartnerGroup, suspended: bool, actor: str) -> None:
    if group.status == "invited":
        raise GroupRefused("not_joined")
    group.status = "suspended" if suspended else "active"
    if suspended:
        group.session_version += 1
        key_sessions.destroy_for_group(session, group.id)
    audit.record(session, actor, "group.suspended" if suspended else "group.reactivated", "partner_group",
                 group.public_id, {})


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < PASSPHRASE_MIN:
        raise GroupRefused("short_passphrase")


@dataclass
class Joined:
    group: PartnerGroup
    private_key: bytes
    recovery_code: str


def join(session: Session, code: str, passphrase: str, named: bool, source_name: str | None) -> Joined:
    """Use an invitation code: the group's key pair, wrapped under the passphrase and a new
    recovery code (returned once). The code works once, and not after it expires."""
    check_passphrase(passphrase)
    lookup = sealed_groups.invite_lookup(session, code)
    group = session.scalar(sa.select(PartnerGroup).where(PartnerGroup.invite_lookup == lookup))
    if group is None or group.status != "invited" or _expired(group.invite_expires_at):
        raise GroupRefused("bad_code")
    private, recovery = sealed_groups.create_group_keys(group, passphrase)
    group.invite_lookup, group.invite_expires_at = None, None
    group.status, group.joined_at = "active", utcnow()
    set_naming(session, group, named, source_name, actor=f"group:{group.public_id}", record=False)
    audit.record(session, f"group:{group.public_id}", "group.joined", "partner_group", group.public_id,
                 {"named": group.named})
    return Joined(group, private, recovery)


def _expired(moment: datetime | None) -> bool:
    return moment is None or moment <= utcnow()


def set_naming(session: Session, group: PartnerGroup, named: bool, source_name: str | None, actor: str,
               record: bool = True) -> None:
    """Whether case files may name the group as the source, and by which name."""
    group.named = bool(named and source_name)
    sealed_groups.seal_source_name(session, group, source_name if group.named else None)
    if record:
        audit.record(session, actor, "group.naming_changed", "partner_group", group.public_id,
                     {"named": group.named})


def _open_key(session: Session, typed_id: str, secret: str, totp: str, client: login_throttle.Client,
              opener: Callable[[PartnerGroup, str], bytes], wrapped: Callable[[PartnerGroup], bytes | None]) -> tuple[
        PartnerGroup, bytes]:
    """The checks a login and a recovery share: the throttle, one answer (and one Argon2id cost)
    for an unknown id and a wrong secret, the app code if set, an active group."""
    if (lock := login_throttle.lock(session, client, "password")).minutes:
        raise GroupRefused("locked", lock.minutes)
    group = find(session, normalize_group_id(typed_id))
    if group is None or wrapped(group) is None:
        sealed_groups.dummy_unlock(secret)
        _fail(session, client, "password")
    try:
        private = opener(group, secret)
    except KeysError:
        _fail(session, client, "password")
    if group.totp_secret_encrypted is not None and not _totp_ok(group, totp):
        _fail(session, client, "totp", "bad_totp")
    if group.status != "active":
        raise GroupRefused("suspended")
    login_throttle.succeeded(session, client)
    return group, private


def login(session: Session, typed_id: str, passphrase: str, totp: str, client: login_throttle.Client) -> tuple[
        PartnerGroup, bytes]:
    """The group and its private key, or GroupRefused: "locked" (with minutes), "wrong_login"
    (one answer for an unknown id and a wrong passphrase), "bad_totp", "suspended". Failures
    are counted like staff logins (login_throttle); the caller commits either way."""
    group, private = _open_key(session, typed_id, passphrase, totp, client, sealed_groups.unlock,
                               lambda group: group.key_wrapped)
    audit.record(session, f"group:{group.public_id}", "group.login", "partner_group", group.public_id, {})
    return group, private


def recover(session: Session, typed_id: str, code: str, new_passphrase: str, totp: str,
            client: login_throttle.Client) -> tuple[PartnerGroup, bytes]:
    """A lost passphrase: the recovery code shown at joining opens the group's key, which is
    then wrapped under a new passphrase (the old one opens nothing any more). Refused and counted
    like a login ("locked", "wrong_login" — one answer for an unknown id and a wrong code —,
    "bad_totp", "suspended", "short_passphrase"); the app code is still asked if the group set
    one up. The recovery code keeps working. The caller commits."""
    check_passphrase(new_passphrase)
    group, private = _open_key(session, typed_id, code, totp, client, sealed_groups.unlock_with_recovery,
                               lambda group: group.recovery_wrapped)
    sealed_groups.rewrap_passphrase(group, private, new_passphrase)
    audit.record(session, f"group:{group.public_id}", "group.recovered", "partner_group", group.public_id, {})
    return group, private


def _fail(session: Session, client: login_throttle.Client, step: str, reason: str = "wrong_login") -> NoReturn:
    failure = login_throttle.record_failure(session, client, step)
    session.commit()
    raise GroupRefused("locked" if failure.lock.minutes else reason, failure.lock.minutes)


def _totp_step(secret: str, code: str) -> int | None:
    totp = pyotp.TOTP(secret)
    now = utcnow().timestamp()
    for offset in (-1, 0, 1):
        moment = now + offset * totp.interval
        if pyotp.utils.strings_equal(totp.at(int(moment)), (code or "").replace(" ", "")):
            return int(moment // totp.interval)
    return None


def _totp_ok(group: PartnerGroup, code: str) -> bool:
    """A current code, not one already used (a code seen over a shoulder does not log in twice)."""
    if group.totp_secret_encrypted is None:
        return True
    step = _totp_step(installation.open_totp_secret(group.totp_secret_encrypted), code)
    if step is None or (group.totp_last_step is not None and step <= group.totp_last_step):
        return False
    group.totp_last_step = step
    return True


def new_totp_secret() -> str:
    return pyotp.random_base32()


def enable_totp(session: Session, group: PartnerGroup, secret: str, code: str) -> None:
    """Turn on the second step once the group's app shows a code for `secret`."""
    step = _totp_step(secret, code)
    if step is None:
        raise GroupRefused("bad_totp")
    group.totp_secret_encrypted, group.totp_last_step = installation.seal_totp_secret(secret), step
    audit.record(session, f"group:{group.public_id}", "group.totp_enabled", "partner_group", group.public_id, {})


def disable_totp(session: Session, group: PartnerGroup) -> None:
    group.totp_secret_encrypted, group.totp_last_step = None, None
    audit.record(session, f"group:{group.public_id}", "group.totp_disabled", "partner_group", group.public_id, {})
