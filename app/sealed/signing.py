"""The organization's signing key: Ed25519 (RFC 8032), over every case file's manifest
(SECURITY.md, "Signed case files").

The private half is sealed to the org public key, bound to its public half
("signing_key.private:<public hex>"). Making one needs only the org *public* key, so it is made
with the other keys (keys.create_keys), by migration 0020 for installations that had keys
before, and, failing both, at the first export. Signing needs the org private key: a
logged-in officer's session or the recovery code. A copy of the server cannot sign.

The public half is published as PEM (SubjectPublicKeyInfo) and known by its fingerprint,
SHA-256 of the DER form — what `openssl pkey -pubin -in key.pem -outform DER | openssl dgst
-sha256` prints — so that a court can compare the key in a case file with the one the
organization gave it on paper (the admin Keys page prints both).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import OrgKey, SigningKey
from app.sealed.crypto import (
    Recipient,
    generate_signing_keypair,
    seal_padded,
    sign,
    signature_valid,
    signing_public_der,
    signing_public_from_pem,
    signing_public_pem,
    unseal_padded,
)


class Unlocked(Protocol):
    """A keys.Keyring (not imported: keys.create_keys makes the signing key with this module)."""

    def recipient(self, kind: str) -> Recipient: ...


def _place(public: bytes) -> bytes:
    return f"signing_key.private:{public.hex()}".encode()


def new_sealed(org_public: bytes) -> tuple[bytes, bytes]:
    """A fresh key pair: (public, private sealed to `org_public`). Migration 0020 uses it too."""
    private, public = generate_signing_keypair()
    return public, seal_padded(org_public, private, _place(public))


def current(session: Session) -> SigningKey | None:
    return session.scalar(sa.select(SigningKey).order_by(SigningKey.id.desc()).limit(1))


def all_keys(session: Session) -> list[SigningKey]:
    """Every signing key this installation has had, newest (the one that signs) first."""
    return list(session.scalars(sa.select(SigningKey).order_by(SigningKey.id.desc())))


def create(session: Session) -> SigningKey:
    org_public = session.scalar(sa.select(OrgKey.public_key).where(OrgKey.kind == "org"))
    if org_public is None:
        raise LookupError("the organization's keys do not exist yet")
    public, sealed = new_sealed(org_public)
    row = SigningKey(public_key=public, private_sealed=sealed)
    session.add(row)
    session.flush()
    return row


def ensure(session: Session) -> SigningKey:
    """The signing key, made now if the installation has none yet (the caller commits)."""
    return current(session) or create(session)


@dataclass(frozen=True)
class Signer:
    """A signing key's row, read in one transaction and used after it (a case file is signed
    when its last byte is written)."""

    public: bytes
    sealed: bytes

    def sign(self, keyring: Unlocked, data: bytes) -> bytes:
        """Raises keys.KeysError("not_unlocked") when the keyring holds no org key."""
        return sign(unseal_padded(keyring.recipient("org"), self.sealed, _place(self.public)), data)


def sign_with(keyring: Unlocked, row: SigningKey, data: bytes) -> bytes:
    return Signer(row.public_key, row.private_sealed).sign(keyring, data)


def public_pem(public: bytes) -> str:
    return signing_public_pem(public)


def fingerprint(public: bytes) -> str:
    """SHA-256 of the public key's DER, in groups of four hex digits (read aloud, compared on paper)."""
    digest = hashlib.sha256(signing_public_der(public)).hexdigest()
    return " ".join(digest[i:i + 4] for i in range(0, len(digest), 4))


def public_from_pem(pem: bytes) -> bytes:
    """Raw public key of an Ed25519 PEM; ValueError otherwise."""
    return signing_public_from_pem(pem)


def valid(public: bytes, data: bytes, signature: bytes) -> bool:
    return signature_valid(public, data, signature)


def known(session: Session, public: bytes) -> SigningKey | None:
    return session.scalar(sa.select(SigningKey).where(SigningKey.public_key == public))
