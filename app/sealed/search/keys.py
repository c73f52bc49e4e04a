"""Search keys: 32 random bytes each, sealed to the organization's public key, so that only
an unlocked session (or the recovery code) opens them. The newest key writes every new
segment; segments under an older key are re-keyed by the worker after a rotation, and the old
key is deleted once no segment uses it."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models.search import SearchKey, SearchSegment
from app.sealed.crypto import public_key_of, random_key, seal, unseal
from app.sealed.keys import Keyring, KeysError


def _place(key_id: int) -> bytes:
    return f"search_key:{key_id}".encode()


@dataclass
class SearchKeys:
    """The search keys an unlocked session opened, by id."""

    keys: dict[int, bytes] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.keys)

    @property
    def current_id(self) -> int:
        return max(self.keys)

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]


def open_keys(session: Session, keyring: Keyring) -> SearchKeys:
    """Every search key, opened with the session's org key (none without one)."""
    if not keyring.org:
        return SearchKeys()
    rows = session.execute(sa.select(SearchKey.id, SearchKey.sealed)).tuples().all()
    org = keyring.recipient("org")
    return SearchKeys({key_id: unseal(org, sealed, _place(key_id)) for key_id, sealed in rows})


def create(session: Session, keyring: Keyring) -> SearchKeys:
    """A new search key, which writes from now on; returns every key."""
    if not keyring.org:
        raise KeysError("not_unlocked")
    row = SearchKey(sealed=b"")
    session.add(row)
    session.flush()
    row.sealed = seal(public_key_of(keyring.org), random_key(), _place(row.id))
    session.flush()
    return open_keys(session, keyring)


def ensure(session: Session, keyring: Keyring) -> SearchKeys:
    """The keys, creating the first one when none exists yet (the lease holder only)."""
    keys = open_keys(session, keyring)
    return keys if keys else create(session, keyring)


def drop_unused(session: Session, keys: SearchKeys) -> int:
    """Delete the keys older than the current one that no segment uses any longer."""
    if not keys:
        return 0
    used = set(session.scalars(sa.select(SearchSegment.key_id).distinct()))
    old = [key_id for key_id in keys.keys if key_id != keys.current_id and key_id not in used]
    if old:
        session.execute(sa.delete(SearchKey).where(SearchKey.id.in_(old)))
        for key_id in old:
            del keys.keys[key_id]
    return len(old)
