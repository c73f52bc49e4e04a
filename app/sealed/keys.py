"""The organization's key pairs and the ways to open them (SECURITY.md, "Keys").

- create_keys: the "org" key pair (opens every submission) and the "identity" key pair (opens
  contact details), the private halves wrapped under a new recovery code, which is returned
  once and never stored; and the signing key for case files, sealed to the org key (signing.py).
- grant / unlock / rewrap / revoke: a staff account's copies of the private keys, wrapped
  under Argon2id of its password. An account holds the identity key only when it may contact
  submitters (User.contact_access).
- unlock_with_recovery / rotate_recovery: the offline recovery code opens both keys; rotating
  it wraps them under a new code and the old one opens nothing from then on.

A Keyring is what an unlocked session holds; it never reaches the database unencrypted.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from flask import current_app
from sqlalchemy.orm import Session

from app.models import KEY_KINDS, KeyGrant, OrgKey, User
from app.models.base import rows_affected, utcnow
from app.sealed import signing
from app.sealed.crypto import KdfParams, Recipient, aead_decrypt, aead_encrypt, derive_key, generate_keypair
from app.services import audit
from app.services.refusal import Refused

# Crockford's base32 without the letters people confuse (I, L, O, U): 30 characters, 150 bits.
RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECOVERY_GROUPS, RECOVERY_GROUP = 6, 5
CROCKFORD_LOOKALIKES = str.maketrans("OIL", "011")
SALT = 16


class KeysError(Refused):
    """reason: "no_keys", "exists", "wrong_code", "wrong_password", "not_unlocked"."""


@dataclass
class Keyring:
    """Unlocked private keys (raw X25519 bytes); empty when nothing is unlocked."""

    keys: dict[str, bytes] = field(default_factory=dict)
    _recipients: dict[str, Recipient] = field(default_factory=dict, repr=False, compare=False)

    def recipient(self, kind: str) -> Recipient:
        """The private key of `kind`, ready to open many sealed values in this request."""
        if kind not in self._recipients:
            if kind not in self.keys:
                raise KeysError("not_unlocked")
            self._recipients[kind] = Recipient(self.keys[kind])
        return self._recipients[kind]

    @property
    def org(self) -> bytes | None:
        return self.keys.get("org")

    @property
    def identity(self) -> bytes | None:
        return self.keys.get("identity")

    def __bool__(self) -> bool:
        return "org" in self.keys

    def to_bytes(self) -> bytes:
        return json.dumps({kind: base64.b64encode(key).decode() for kind, key in self.keys.items()}).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Keyring:
        return cls({kind: base64.b64decode(key) for kind, key in json.loads(data).items() if kind in KEY_KINDS})


def kdf_params() -> KdfParams:
    """Argon2id parameters for new wraps. Tests may make them cheap (TestingConfig); what was
    used is stored beside every wrap, so older wraps keep opening."""
    return KdfParams(*current_app.config["KEY_KDF"]) if current_app.config.get("KEY_KDF") else KdfParams()


def new_recovery_code() -> str:
    characters = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUPS * RECOVERY_GROUP))
    return "-".join(characters[i:i + RECOVERY_GROUP] for i in range(0, len(characters), RECOVERY_GROUP))


def normalize_recovery_code(text: str | None) -> str:
    """What people type: any case, spaces or hyphens, O for 0 and I/L for 1 (Crockford)."""
    cleaned = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    cleaned = cleaned.translate(CROCKFORD_LOOKALIKES)
    return "-".join(cleaned[i:i + RECOVERY_GROUP] for i in range(0, len(cleaned), RECOVERY_GROUP))


def _wrap(secret: str, private: bytes, place: bytes, params: KdfParams) -> tuple[bytes, bytes]:
    salt = os.urandom(SALT)
    return aead_encrypt(derive_key(secret, salt, params), private, place), salt


def _unwrap(secret: str, wrapped: bytes, salt: bytes, params: str, place: bytes) -> bytes:
    return aead_decrypt(derive_key(secret, salt, KdfParams.from_json(params)), wrapped, place)


def _recovery_place(kind: str) -> bytes:
    return f"org_key.recovery:{kind}".encode()


def _grant_place(user_id: int, kind: str) -> bytes:
    return f"key_grant:{user_id}:{kind}".encode()


def org_keys(session: Session) -> dict[str, OrgKey]:
    return {row.kind: row for row in session.scalars(sa.select(OrgKey))}


def keys_exist(session: Session) -> bool:
    return session.scalar(sa.select(OrgKey.id).where(OrgKey.kind == "org")) is not None


def public_key(session: Session, kind: str) -> bytes:
    row = session.scalar(sa.select(OrgKey).where(OrgKey.kind == kind))
    if row is None:
        raise KeysError("no_keys")
    return row.public_key


def create_keys(session: Session, actor: str) -> tuple[Keyring, str]:
    """Both key pairs, wrapped under a new recovery code; returns the keyring and the code
    (shown once: it is not stored anywhere). Refuses when keys exist."""
    if keys_exist(session):
        raise KeysError("exists")
    code, params, now = new_recovery_code(), kdf_params(), utcnow()
    keyring = Keyring()
    for kind in KEY_KINDS:
        private, public = generate_keypair()
        wrapped, salt = _wrap(code, private, _recovery_place(kind), params)
        session.add(OrgKey(kind=kind, public_key=public, recovery_wrapped=wrapped, recovery_salt=salt,
                           recovery_params=params.to_json(), recovery_created_at=now))
        keyring.keys[kind] = private
    session.flush()
    signing.create(session)
    audit.record(session, actor, "keys.created", "keys", None, {"kinds": [*KEY_KINDS, "signing"]})
    return keyring, code


def unlock_with_recovery(session: Session, code: str) -> Keyring:
    rows = org_keys(session)
    if "org" not in rows:
        raise KeysError("no_keys")
    code = normalize_recovery_code(code)
    try:
        return Keyring({kind: _unwrap(code, row.recovery_wrapped, row.recovery_salt, row.recovery_params,
                                      _recovery_place(kind)) for kind, row in rows.items()})
    except InvalidTag:
        raise KeysError("wrong_code") from None


def unwrap_recovery(code: str, wrapped: bytes, salt: bytes, params: str, kind: str) -> bytes:
    """A private key from a recovery wrap kept elsewhere (a backup's header): what the code
    that was current then opens."""
    try:
        return _unwrap(normalize_recovery_code(code), wrapped, salt, params, _recovery_place(kind))
    except InvalidTag:
        raise KeysError("wrong_code") from None


def rotate_recovery(session: Session, keyring: Keyring, actor: str) -> str:
    """Wrap the keys under a new recovery code (returned once); the old code stops working."""
    if not keyring.org or not keyring.identity:
        raise KeysError("not_unlocked")
    code, params, now = new_recovery_code(), kdf_params(), utcnow()
    for kind, row in org_keys(session).items():
        row.recovery_wrapped, row.recovery_salt = _wrap(code, keyring.keys[kind], _recovery_place(kind), params)
        row.recovery_params, row.recovery_created_at = params.to_json(), now
    audit.record(session, actor, "keys.recovery_rotated", "keys", None, {})
    return code


def grant(session: Session, user: User, keyring: Keyring, password: str, actor: str) -> list[str]:
    """Wrap the keys this account may hold under its password (replacing earlier grants);
    returns the kinds granted."""
    if not keyring.org:
        raise KeysError("not_unlocked")
    kinds = ["org"] + (["identity"] if user.contact_access and keyring.identity else [])
    session.execute(sa.delete(KeyGrant).where(KeyGrant.user_id == user.id))
    params = kdf_params()
    for kind in kinds:
        wrapped, salt = _wrap(password, keyring.keys[kind], _grant_place(user.id, kind), params)
        session.add(KeyGrant(user_id=user.id, kind=kind, wrapped=wrapped, salt=salt, params=params.to_json()))
    session.flush()
    audit.record(session, actor, "keys.granted", "user", str(user.id), {"kinds": kinds})
    return kinds


def unlock(session: Session, user: User, password: str) -> Keyring:
    """The keys this account holds, opened with its password (an empty keyring if it holds none)."""
    keyring = Keyring()
    for row in session.scalars(sa.select(KeyGrant).where(KeyGrant.user_id == user.id)):
        try:
            place = _grant_place(user.id, row.kind)
            keyring.keys[row.kind] = _unwrap(password, row.wrapped, row.salt, row.params, place)
        except InvalidTag:
            raise KeysError("wrong_password") from None
    return keyring


def revoke(session: Session, user: User, actor: str) -> int:
    """Delete this account's wrapped keys (deactivation, or a grant to be made again)."""
    removed = rows_affected(session.execute(sa.delete(KeyGrant).where(KeyGrant.user_id == user.id)))
    if removed:
        audit.record(session, actor, "keys.revoked", "user", str(user.id), {"grants": removed})
    return removed


def revoke_identity(session: Session, user: User, actor: str) -> None:
    """Take the contact right away: the account keeps the org key, loses the identity key."""
    user.contact_access = False
    removed = rows_affected(session.execute(sa.delete(KeyGrant).where(KeyGrant.user_id == user.id,
                                                                      KeyGrant.kind == "identity")))
    audit.record(session, actor, "keys.identity_revoked", "user", str(user.id), {"grants": removed})


def grants_by_user(session: Session) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for user_id, kind in session.execute(sa.select(KeyGrant.user_id, KeyGrant.kind).order_by(KeyGrant.kind)).tuples():
        found.setdefault(user_id, []).append(kind)
    return found


def granted_kinds(session: Session, user_id: int) -> list[str]:
    return sorted(session.scalars(sa.select(KeyGrant.kind).where(KeyGrant.user_id == user_id)))
