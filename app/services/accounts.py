"""Staff accounts: creation, passwords (Argon2id), TOTP with replay refusal, throttling.

Failed logins are counted per client of an account (services/login_throttle.py) and, with a
higher cap, for all the browsers the account never used together; a remembered browser is
judged by its own count only, so a stranger cannot lock the real officer out; every failure costs a short,
growing delay and is audited, and so is each lock. An e-mail address without an active account
goes through the same steps (a password check against a dummy hash, the same counters, the
same delay and the same answers), so the login tells nobody which accounts exist.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import AuditEvent, User
from app.models.base import utcnow
from app.sealed import installation, key_sessions, keys, passwords
from app.sealed.keys import Keyring
from app.services import audit, login_throttle
from app.services.refusal import Refused

MIN_PASSWORD_LENGTH = 12
ISSUER = "Moksori"


class AccountError(Refused):
    """reason: "exists", "role", "language", "password_short"."""


@dataclass
class LoginResult:
    user: User | None
    locked_minutes: int = 0
    # The lock is the account's (browsers it never used, together), not this client's own.
    account_locked: bool = False

    @classmethod
    def refused(cls, lock: login_throttle.Lock) -> LoginResult:
        return cls(None, lock.minutes, lock.scope == "account")

    @property
    def ok(self) -> bool:
        return self.user is not None and not self.locked_minutes


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password_short")
    return passwords.hash_password(password)


def check_new_account(session: Session, email: str, password: str) -> None:
    """Raise AccountError("exists" or "password_short") before anything else is asked for."""
    if session.scalar(sa.select(User.id).where(User.email == normalize_email(email))):
        raise AccountError("exists")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password_short")


def create_user(session: Session, email: str, password: str, role: str = "officer", name: str = "",
                languages: list[str] | None = None, actor: str = "cli", keyring: Keyring | None = None,
                contact_access: bool = False, setup: bool = False) -> User:
    """A staff account. With a keyring, its keys are wrapped under `password` (the identity
    key only with contact_access); `setup` marks the password as a one-time set-up password
    that must be changed at the first login."""
    languages = languages or ["ko"]
    if role not in ("officer", "admin"):
        raise AccountError("role")
    if not set(languages) <= {"ko", "en"}:
        raise AccountError("language")
    email = normalize_email(email)
    if session.scalar(sa.select(User.id).where(User.email == email)):
        raise AccountError("exists")
    user = User(email=email, name=name, password_hash=hash_password(password), role=role,
                languages=",".join(languages), locale=languages[0], contact_access=contact_access,
                must_change_password=setup)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.created", "user", str(user.id), {"role": role, "contact_access": contact_access})
    if keyring:
        keys.grant(session, user, keyring, password, actor)
    return user


def new_setup_password() -> str:
    """A one-time password an admin hands over (80 bits, easy to read out): abcd-efgh-jkmn-pqrs."""
    characters = "".join(secrets.choice(keys.RECOVERY_ALPHABET.lower()) for _ in range(16))
    return "-".join(characters[i:i + 4] for i in range(0, 16, 4))


def regrant(session: Session, admin: User, user: User, keyring: Keyring) -> str:
    """Give an account access again (a forgotten password, a new contact right): its keys are
    wrapped under a new one-time set-up password, returned to show to the admin once; every
    session of the account ends. Commits."""
    password = new_setup_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.session_version += 1
    keys.grant(session, user, keyring, password, f"user:{admin.id}")
    key_sessions.destroy_for_user(session, user.id)
    audit.record(session, f"user:{admin.id}", "user.regranted", "user", str(user.id))
    session.commit()
    return password


def end_sessions(session: Session, admin: User, user: User) -> int:
    """Log an account out everywhere (its key sessions go; copied cookies stop working)."""
    ended = key_sessions.destroy_for_user(session, user.id)
    user.session_version += 1
    audit.record(session, f"user:{admin.id}", "user.sessions_ended", "user", str(user.id), {"sessions": ended})
    session.commit()
    return ended


def take_contact_right(session: Session, admin: User, user: User) -> int:
    """The account loses the identity key, and every session of it ends: a session holds the
    keys its password unlocked, so a live one would go on opening contact details. Commits;
    returns the number of sessions ended."""
    keys.revoke_identity(session, user, f"user:{admin.id}")
    user.session_version += 1
    ended = key_sessions.destroy_for_user(session, user.id)
    session.commit()
    return ended


def find_active(session: Session, user_id: int) -> User | None:
    user = session.get(User, user_id)
    return user if user and user.active else None


def _failed(session: Session, client: login_throttle.Client, step: str, user: User | None) -> LoginResult:
    """Count, audit and slow down a failure; commits. The result says how long the client is
    now locked (0 if not). An unknown address writes the same rows as a known one."""
    failure = login_throttle.record_failure(session, client, step)
    actor, target = (f"user:{user.id}", str(user.id)) if user else ("anonymous", None)
    audit.record(session, actor, "auth.failure", "user", target, {"step": step})
    for scope in failure.locked:
        audit.record(session, "system", "auth.locked", "user", target,
                     {"minutes": login_throttle.LOCK_MINUTES, "scope": scope, "step": step})
    session.commit()
    time.sleep(failure.delay)
    return LoginResult.refused(failure.lock)


def check_password(session: Session, email: str, password: str, client: login_throttle.Client) -> LoginResult:
    """The first step. `client` names who tries (login_throttle.Client, its subject a digest of
    `email`); a locked client is refused without the password being looked at."""
    if (lock := login_throttle.lock(session, client, "password")).minutes:
        return LoginResult.refused(lock)
    user = session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    if user is None or not user.active:
        user = None
    if not passwords.verify(user.password_hash if user else None, password):  # as slow without an account
        return _failed(session, client, "password", user)
    return LoginResult(user)


def password_matches(user: User, password: str) -> bool:
    return passwords.verify(user.password_hash, password)


def change_password(session: Session, user: User, current: str, new: str, keyring: Keyring,
                    keep_session: str | None = None) -> bool:
    """Check the current password, set the new one and re-wrap the account's keys under it;
    every other session of the account ends. Commits."""
    if not passwords.verify(user.password_hash, current):
        return False
    user.password_hash = hash_password(new)
    user.session_version += 1
    user.must_change_password = False
    if keyring:
        keys.grant(session, user, keyring, new, f"user:{user.id}")
    key_sessions.destroy_for_user(session, user.id, keep=keep_session)
    audit.record(session, f"user:{user.id}", "user.password_changed", "user", str(user.id))
    session.commit()
    return True


def ensure_totp_secret(session: Session, user: User) -> str:
    """The secret to enroll (created once, kept encrypted until confirmed)."""
    if user.totp_secret_encrypted is None:
        user.totp_secret_encrypted = installation.seal_totp_secret(pyotp.random_base32())
        session.commit()
    return installation.open_totp_secret(user.totp_secret_encrypted)


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def verify_totp(session: Session, user: User, code: str, client: login_throttle.Client) -> LoginResult:
    """The second step: accept a 6-digit code once (±1 step for clock drift); a replayed step
    is refused. A locked client is refused without the code being looked at (nor used up)."""
    if (lock := login_throttle.lock(session, client, "totp")).minutes:
        return LoginResult.refused(lock)
    secret = installation.open_totp_secret(user.totp_secret_encrypted) if user.totp_secret_encrypted else None
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    step = _matching_step(secret, code) if secret and len(code) == 6 else None
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return _failed(session, client, "totp", user)
    user.totp_last_step = step
    login_throttle.succeeded(session, client)
    if not user.totp_confirmed:
        user.totp_confirmed = True
        audit.record(session, f"user:{user.id}", "auth.totp_enrolled", "user", str(user.id))
    user.last_login_at = utcnow()
    audit.record(session, f"user:{user.id}", "auth.login", "user", str(user.id))
    session.commit()
    return LoginResult(user)


def _matching_step(secret: str, code: str) -> int | None:
    totp = pyotp.TOTP(secret)
    now = time.time()
    for offset in (0, -1, 1):
        moment = now + offset * totp.interval
        if pyotp.utils.strings_equal(totp.at(int(moment)), code):  # at() would truncate a float to int itself
            return totp.timecode(datetime.fromtimestamp(moment))
    return None


def set_active(session: Session, admin: User, user: User, active: bool) -> None:
    """Deactivating ends the account's sessions and deletes its wrapped keys: even its old
    password opens nothing afterwards. Reactivating needs a re-grant to reach the keys."""
    user.active = active
    user.session_version += 1
    if not active:
        keys.revoke(session, user, f"user:{admin.id}")
        key_sessions.destroy_for_user(session, user.id)
    audit.record(session, f"user:{admin.id}", "user.activated" if active else "user.deactivated", "user", str(user.id))
    session.commit()


def reset_totp(session: Session, admin: User, user: User) -> None:
    user.totp_secret_encrypted = None
    user.totp_confirmed = False
    user.totp_last_step = None
    user.session_version += 1
    key_sessions.destroy_for_user(session, user.id)
    audit.record(session, f"user:{admin.id}", "user.totp_reset", "user", str(user.id))
    session.commit()


def set_locale(session: Session, user: User, locale: str) -> None:
    user.locale = locale
    session.commit()


def active_officers(session: Session) -> list[User]:
    return list(session.scalars(sa.select(User).where(User.active.is_(True)).order_by(User.id)))


# The admin's staff page names every account with this many refused passwords or codes within
# BURST_HOURS: someone may be guessing, from however many addresses.
BURST_AT_LEAST = 10
BURST_HOURS = 24


@dataclass(frozen=True)
class FailureBurst:
    user: User | None  # None: e-mail addresses that have no account, together
    failures: int
    last_at: datetime


def failure_bursts(session: Session, now: datetime | None = None) -> list[FailureBurst]:
    """Accounts (and addresses without one, together) refused at least BURST_AT_LEAST times in
    the last BURST_HOURS, most failures first; read from the audit log's auth.failure events."""
    count, last = sa.func.count(AuditEvent.id), sa.func.max(AuditEvent.created_at)
    rows = session.execute(
        sa.select(AuditEvent.target_id, count, last)
        .where(AuditEvent.action == "auth.failure", AuditEvent.target_type == "user",
               AuditEvent.created_at >= (now or utcnow()) - timedelta(hours=BURST_HOURS))
        .group_by(AuditEvent.target_id).having(count >= BURST_AT_LEAST)
    ).all()
    ids = [int(target) for target, _count, _last in rows if target and target.isdigit()]
    users = {str(user.id): user for user in session.scalars(sa.select(User).where(User.id.in_(ids)))}
    bursts = [FailureBurst(users.get(target) if target else None, failures, last_at)
              for target, failures, last_at in rows if target is None or target in users]
    return sorted(bursts, key=lambda burst: (-burst.failures, burst.user is None))
