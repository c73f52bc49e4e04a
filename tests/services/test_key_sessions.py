"""Sessions that hold unlocked keys: the database row alone opens nothing, a token opens only
its own row, and a deleted or expired row stops the token at once."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import KeySession
from app.models.base import utcnow
from app.sealed import key_sessions
from tests.factories import UserFactory

IDLE, LIFETIME = timedelta(minutes=30), timedelta(hours=12)
SECRET = b"private key bytes " * 2


def test_a_token_opens_its_row_and_the_row_alone_shows_nothing(app_ctx):
    token = key_sessions.create(db.session, "staff", SECRET, IDLE)
    row = db.session.scalar(sa.select(KeySession))
    assert SECRET not in row.sealed and token not in row.id
    opened = key_sessions.read(db.session, token, "staff", IDLE, LIFETIME)
    assert opened.secrets == SECRET and opened.row_id == row.id
    assert key_sessions.read(db.session, token, "receipt", IDLE, LIFETIME) is None
    forged = key_sessions.create(db.session, "staff", b"other", IDLE)
    altered = forged[:-2] + ("AA" if not forged.endswith("AA") else "QA")  # (one token in 256 ends in AA)
    assert key_sessions.read(db.session, altered, "staff", IDLE, LIFETIME) is None
    for garbage in (None, "", "not base64 at all!", "QUJD"):
        assert key_sessions.read(db.session, garbage, "staff", IDLE, LIFETIME) is None


def test_a_row_moved_to_another_token_does_not_open(app_ctx):
    """The row id is bound into the ciphertext: a row's secrets copied under another id fail."""
    first = key_sessions.create(db.session, "staff", SECRET, IDLE)
    second = key_sessions.create(db.session, "staff", b"x" * 36, IDLE)
    first_row, second_row = (db.session.get(KeySession, key_sessions._row_id(key_sessions._decode(token)))
                             for token in (first, second))
    first_row.sealed, second_row.sealed = second_row.sealed, first_row.sealed
    assert key_sessions.read(db.session, first, "staff", IDLE, LIFETIME) is None
    assert key_sessions.read(db.session, second, "staff", IDLE, LIFETIME) is None


def test_destroyed_idle_and_old_sessions_stop_working(app_ctx):
    user_id = UserFactory().id
    ended = key_sessions.create(db.session, "staff", SECRET, IDLE, user_id)
    kept = key_sessions.create(db.session, "staff", SECRET, IDLE, user_id)
    other = key_sessions.create(db.session, "staff", SECRET, IDLE, user_id)
    key_sessions.destroy(db.session, ended)
    assert key_sessions.read(db.session, ended, "staff", IDLE, LIFETIME) is None
    assert key_sessions.destroy_for_user(db.session, user_id, keep=kept) == 1
    assert key_sessions.read(db.session, other, "staff", IDLE, LIFETIME) is None
    assert key_sessions.read(db.session, kept, "staff", IDLE, LIFETIME) is not None
    row = db.session.scalar(sa.select(KeySession))
    row.expires_at = utcnow() - timedelta(seconds=1)
    assert key_sessions.read(db.session, kept, "staff", IDLE, LIFETIME) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KeySession)) == 0
    old = key_sessions.create(db.session, "staff", SECRET, IDLE, user_id)
    db.session.scalar(sa.select(KeySession)).created_at = utcnow() - LIFETIME
    assert key_sessions.read(db.session, old, "staff", IDLE, LIFETIME) is None


def test_reading_moves_the_idle_deadline_at_most_once_a_minute(app_ctx):
    token = key_sessions.create(db.session, "receipt", SECRET, IDLE)
    row = db.session.scalar(sa.select(KeySession))
    first_deadline = row.expires_at
    key_sessions.read(db.session, token, "receipt", IDLE, LIFETIME)
    assert row.expires_at == first_deadline
    row.last_seen_at -= timedelta(minutes=5)
    key_sessions.read(db.session, token, "receipt", IDLE, LIFETIME)
    assert row.expires_at > first_deadline
    key_sessions.replace(db.session, token, b"new secrets")
    assert key_sessions.read(db.session, token, "receipt", IDLE, LIFETIME).secrets == b"new secrets"
    assert key_sessions.purge_expired(db.session) == 0
