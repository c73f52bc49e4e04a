"""Server-side sessions that hold unlocked keys (models/keys.py KeySession).

A session is a random 32-byte token. The person's cookie carries the token; the database
keeps only SHA-256(token) as the row's id and the secrets encrypted under HKDF(token). So a
copy of the database (or of the whole server) without the cookie opens nothing, and a copied
cookie stops working the moment the row is deleted: at logout, idle timeout, password change,
deactivation, a 2FA reset, when the contact right is taken away, or when an admin ends the
account's sessions. Rows live in the database, so every app server sees the same sessions.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from sqlalchemy.orm import Session

from app.models import KeySession
from app.models.base import rows_affected, utcnow
from app.sealed.crypto import aead_decrypt, aead_encrypt, hkdf

TOKEN_BYTES = 32
# A read refreshes last_seen_at at most this often: one write a minute, not one per request.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass
class Opened:
    row_id: str
    user_id: int | None
    secrets: bytes


def _decode(token: str) -> bytes | None:
    try:
        raw = base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == TOKEN_BYTES else None


def _row_id(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _key(raw: bytes) -> bytes:
    return hkdf(raw, b"key session")


def create(session: Session, kind: str, payload: bytes, idle: timedelta, user_id: int | None = None,
           group_id: int | None = None) -> str:
    """Store `payload` for a new session and return its token (for the cookie only). The
    caller commits."""
    raw = secrets.token_bytes(TOKEN_BYTES)
    row_id, now = _row_id(raw), utcnow()
    session.add(KeySession(id=row_id, kind=kind, user_id=user_id, group_id=group_id, created_at=now, last_seen_at=now,
                           expires_at=now + idle, sealed=aead_encrypt(_key(raw), payload, row_id.encode())))
    session.flush()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read(session: Session, token: str | None, kind: str, idle: timedelta, lifetime: timedelta) -> Opened | None:
    """The session's secrets, or None when the token is unknown, expired (idle or older than
    `lifetime`), of another kind, or does not open its row. A live session's idle deadline
    moves forward (written at most every TOUCH_EVERY; the caller commits)."""
    raw = _decode(token or "")
    if raw is None:
        return None
    row = session.get(KeySession, _row_id(raw))
    now = utcnow()
    if row is None or row.kind != kind:
        return None
    if row.expires_at <= now or row.created_at + lifetime <= now:
        session.delete(row)
        return None
    try:
        payload = aead_decrypt(_key(raw), row.sealed, row.id.encode())
    except InvalidTag:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at, row.expires_at = now, now + idle
    return Opened(row.id, row.user_id, payload)


def alive(session: Session, row_id: str) -> bool:
    """Whether the key session with this row id still exists and has not gone idle."""
    return session.scalar(sa.select(sa.func.count()).select_from(KeySession).where(
        KeySession.id == row_id, KeySession.expires_at > utcnow())) == 1


def replace(session: Session, token: str, payload: bytes) -> None:
    """New secrets for a live session (e.g. after keys were created or granted)."""
    raw = _decode(token)
    row = session.get(KeySession, _row_id(raw)) if raw else None
    if raw is not None and row is not None:
        row.sealed = aead_encrypt(_key(raw), payload, row.id.encode())


def destroy(session: Session, token: str | None) -> None:
    raw = _decode(token or "")
    if raw is not None:
        session.execute(sa.delete(KeySession).where(KeySession.id == _row_id(raw)))


def destroy_for_user(session: Session, user_id: int, keep: str | None = None) -> int:
    """End every session of an account (all but `keep`, the caller's own, if given)."""
    query = sa.delete(KeySession).where(KeySession.user_id == user_id)
    raw = _decode(keep) if keep else None
    if raw is not None:
        query = query.where(KeySession.id != _row_id(raw))
    return rows_affected(session.execute(query))


def destroy_for_group(session: Session, group_id: int) -> int:
    """End every session of a partner group (suspension, or an admin ending its sessions)."""
    return rows_affected(session.execute(sa.delete(KeySession).where(KeySession.group_id == group_id)))


def active_group_count(session: Session, group_id: int) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(KeySession).where(
        KeySession.group_id == group_id, KeySession.expires_at > utcnow())) or 0


def purge_expired(session: Session) -> int:
    return rows_affected(session.execute(sa.delete(KeySession).where(KeySession.expires_at <= utcnow())))


def active_count(session: Session, user_id: int) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(KeySession).where(
        KeySession.user_id == user_id, KeySession.expires_at > utcnow())) or 0
