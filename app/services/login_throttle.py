"""Throttling failed logins without handing strangers a way to lock the real officer out
(DESIGN §7).

Failures are never counted against an account alone but against the *client* that tries:

- every failure counts against the pair (account, address);
- a browser that logged in to this account before carries a device cookie (a random id the app
  signed, app/auth.py); its failures also count against that device;
- at the second step (TOTP), which only the right password reaches, failures also count
  against the account, for every browser together;
- at the first step, failures also count against the account, for every browser together, with
  a higher cap (ACCOUNT_LOCK_AFTER): a stranger with many addresses otherwise had five guesses
  per address and window, without end (issue 20, item 7.2).

After LOCK_AFTER failures within WINDOW a scope is locked for LOCK_MINUTES (the first step's
account scope after ACCOUNT_LOCK_AFTER). A remembered
browser is judged by its own count alone, so the officer's own browser still gets in while a
stranger is locked out — even a stranger at the officer's address (one onion service, one office
network). Any other client is refused while its pair is locked or, at the second step, while
the account is. So a stranger without the password can lock out only their own address, and
someone who has the password cannot guess TOTP codes from address after address — they can keep
browsers the account never used away from the second step, never the officer's own.

The rules are the same for e-mail addresses that have no account (the caller passes the digest
of whatever was typed), so nothing in the answers tells which accounts exist. Keys are SHA-256
over keyed digests the caller computes (app.security.keyed_digest): the table holds no address
and no e-mail address, and a row goes once its window and its lock have passed.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import LoginThrottle
from app.models.base import UTCDateTime, utcnow

LOCK_AFTER = 5
# Wrong passwords for one account from every browser it never logged in with, together, before
# such browsers must wait: many more than one person mistyping, few enough that guessing from
# address after address gets ACCOUNT_LOCK_AFTER tries per half hour, not five per address.
ACCOUNT_LOCK_AFTER = 20
LOCK_MINUTES = 15
WINDOW = timedelta(minutes=15)
STEPS = ("password", "totp")


@dataclass(frozen=True)
class Client:
    """Who is trying: keyed digests of the account's e-mail address as typed (`subject`), of
    the client address, and of the browser's device id when it carries one for this subject."""

    subject: str
    address: str
    device: str | None = None

    def scopes(self, step: str) -> dict[str, str]:
        """The counters a failure at `step` adds to, by name."""
        scopes = {"address": _key("pair", self.subject, self.address)}
        if self.device:
            scopes["device"] = _key("device", self.subject, self.device)
        scopes["account"] = _key("second step" if step == "totp" else "first step", self.subject)
        return scopes


def lock_after(scope: str, step: str) -> int:
    """How many failures within WINDOW lock a scope."""
    return ACCOUNT_LOCK_AFTER if (scope, step) == ("account", "password") else LOCK_AFTER


@dataclass(frozen=True)
class Lock:
    minutes: int  # how long the client must wait (0: it may try now)
    scope: str | None = None  # the scope that holds it back longest: "address", "device" or "account"


@dataclass
class Failure:
    count: int  # the highest count among the client's scopes, this failure included
    lock: Lock  # how long the client must now wait, and why
    locked: list[str] = field(default_factory=list)  # the scopes this failure locked

    @property
    def locked_minutes(self) -> int:
        return self.lock.minutes

    @property
    def delay(self) -> float:
        """Seconds to wait before answering: slows guessing before any lock."""
        return min(0.1 * 2 ** self.count, 1.0)


def _key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _minutes(row: LoginThrottle | None, now: datetime) -> int:
    if row is None or row.locked_until is None or row.locked_until <= now:
        return 0
    return max(1, int((row.locked_until - now).total_seconds() // 60) + 1)


def _rows(session: Session, scopes: dict[str, str]) -> dict[str, LoginThrottle]:
    found = {row.key: row for row in session.scalars(
        sa.select(LoginThrottle).where(LoginThrottle.key.in_(scopes.values())))}
    return {name: found[key] for name, key in scopes.items() if key in found}


def lock(session: Session, client: Client, step: str) -> Lock:
    """How long this client must wait before trying `step`, and which scope holds it back."""
    if step not in STEPS:
        raise ValueError(step)
    now = utcnow()
    rows = _rows(session, client.scopes(step))
    # A remembered browser: only its own count. Any other: its pair's and the account's.
    names = ("device",) if client.device else ("address", "account")
    minutes, scope = max((_minutes(rows.get(name), now), name) for name in names)
    return Lock(minutes, scope if minutes else None)


def locked_minutes(session: Session, client: Client, step: str) -> int:
    """How long this client must wait before trying `step` (0: it may try now)."""
    return lock(session, client, step).minutes


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(LoginThrottle)


def _count(session: Session, key: str, now: datetime, limit: int) -> tuple[int, bool]:
    """Add one failure to a counter (a new window when the last one has passed); lock it at
    `limit`. Returns the count and whether this failure locked it."""
    stale = LoginThrottle.window_started_at <= now - WINDOW
    statement = _insert(session).values(key=key, failures=1, window_started_at=now)
    session.execute(statement.on_conflict_do_update(index_elements=[LoginThrottle.key], set_={
        "failures": sa.case((stale, 1), else_=LoginThrottle.failures + 1),
        "window_started_at": sa.case((stale, sa.literal(now, UTCDateTime())), else_=LoginThrottle.window_started_at),
    }))
    row = session.get(LoginThrottle, key, populate_existing=True)
    if row is None:  # just written in this transaction
        raise RuntimeError("login_throttle: the counter just written is gone")
    count = row.failures
    if count < limit:
        return count, False
    row.failures, row.window_started_at, row.locked_until = 0, now, now + timedelta(minutes=LOCK_MINUTES)
    return count, True


def record_failure(session: Session, client: Client, step: str) -> Failure:
    """Count a failed password or TOTP code against every scope of the client; the caller
    commits (and audits the scopes that were locked)."""
    now = utcnow()
    session.execute(sa.delete(LoginThrottle).where(
        LoginThrottle.window_started_at <= now - WINDOW,
        sa.or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now)))
    counts, locked = [], []
    for name, key in client.scopes(step).items():
        count, now_locked = _count(session, key, now, lock_after(name, step))
        counts.append(count)
        if now_locked:
            locked.append(name)
    session.flush()
    return Failure(max(counts), lock(session, client, step), locked)


def succeeded(session: Session, client: Client) -> None:
    """A full login (password and TOTP): this browser's and this address's counts start
    again. The account's counts stay: the officer logging in does not give whoever else is
    guessing the password, or holds it, fresh guesses."""
    scopes = client.scopes("password")
    mine = [key for name, key in scopes.items() if name != "account"]
    session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key.in_(mine)))
