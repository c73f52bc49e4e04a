"""How a partner group's keys and values are sealed (models/groups.py; SECURITY.md, "Partner
groups"). The same parts as the organization's keys and receipt codes:

- the invitation code is a recovery-style code (keys.new_recovery_code, 150 bits), looked up
  by Argon2id with the installation's receipt salt (sealing.receipt_kdf), then HKDF with a
  purpose of its own: a copy of the database cannot test codes faster than Argon2id allows,
  and the look-up is deleted once the code is used;
- the group's X25519 private key is wrapped twice, like an org key: under Argon2id of the
  passphrase and under Argon2id of a group recovery code (shown once, never stored). A wrong
  passphrase fails the AES-GCM tag: the wrap is the only verifier, there is no login hash;
- a submission's content key is sealed to the group's public key (the group's space opens
  it), besides the org key (every officer opens it);
- the group's name and members' contact details are sealed to the identity key, the name to
  use as the source of its testimonies to the org key, an officers' message to the group to
  both the group's key and the org key.
"""
from __future__ import annotations

import json
import os

from cryptography.exceptions import InvalidTag
from sqlalchemy.orm import Session

from app.models import PartnerGroup
from app.models.base import in_transaction
from app.sealed.crypto import (
    KdfParams,
    aead_decrypt,
    aead_encrypt,
    derive_key,
    generate_keypair,
    hkdf,
    seal,
    seal_padded,
    unseal,
    unseal_padded,
)
from app.sealed.keys import Keyring, KeysError, kdf_params, new_recovery_code, normalize_recovery_code, public_key
from app.sealed.sealing import ItemKey, receipt_kdf

SALT = 16


def new_invite_code() -> str:
    return new_recovery_code()


def invite_lookup(session: Session, code: str) -> str:
    """The look-up stored for an invitation code (Argon2id, then HKDF for this purpose). As
    sealing.receipt_secret does, a transaction opened only to read the salt is ended before
    the derivation, so that it does not hold SQLite's write lock for it."""
    opened_here = not in_transaction(session) and not (session.new or session.dirty or session.deleted)
    salt, params = receipt_kdf(session)
    if opened_here:
        session.commit()
    derived = derive_key(normalize_recovery_code(code), salt, params)
    return hkdf(derived, b"group invitation lookup").hex()


def _passphrase_place(group: PartnerGroup) -> bytes:
    return f"partner_group.key:{group.public_id}".encode()


def _recovery_place(group: PartnerGroup) -> bytes:
    return f"partner_group.recovery:{group.public_id}".encode()


def _wrap(secret: str, private: bytes, place: bytes, params: KdfParams) -> tuple[bytes, bytes, str]:
    salt = os.urandom(SALT)
    return aead_encrypt(derive_key(secret, salt, params), private, place), salt, params.to_json()


def create_group_keys(group: PartnerGroup, passphrase: str) -> tuple[bytes, str]:
    """A new key pair for the group, wrapped under the passphrase and a new group recovery
    code; returns the private key (for the session) and the code (shown once)."""
    private, public = generate_keypair()
    code, params = new_recovery_code(), kdf_params()
    group.public_key = public
    group.key_wrapped, group.key_salt, group.key_params = _wrap(passphrase, private, _passphrase_place(group), params)
    group.recovery_wrapped, group.recovery_salt, group.recovery_params = _wrap(
        code, private, _recovery_place(group), params)
    return private, code


def unlock(group: PartnerGroup, passphrase: str) -> bytes:
    """The group's private key, opened with its passphrase (KeysError "wrong_password")."""
    if group.key_wrapped is None or group.key_salt is None or group.key_params is None:
        raise KeysError("no_keys")
    try:
        key = derive_key(passphrase, group.key_salt, KdfParams.from_json(group.key_params))
        return aead_decrypt(key, group.key_wrapped, _passphrase_place(group))
    except InvalidTag:
        raise KeysError("wrong_password") from None


def unlock_with_recovery(group: PartnerGroup, code: str) -> bytes:
    if group.recovery_wrapped is None or group.recovery_salt is None or group.recovery_params is None:
        raise KeysError("no_keys")
    try:
        key = derive_key(normalize_recovery_code(code), group.recovery_salt, KdfParams.from_json(group.recovery_params))
        return aead_decrypt(key, group.recovery_wrapped, _recovery_place(group))
    except InvalidTag:
        raise KeysError("wrong_code") from None


def rewrap_passphrase(group: PartnerGroup, private: bytes, passphrase: str) -> None:
    """A new passphrase (after the recovery code opened the key): the old one opens nothing."""
    group.key_wrapped, group.key_salt, group.key_params = _wrap(passphrase, private, _passphrase_place(group),
                                                                kdf_params())


def dummy_unlock(passphrase: str) -> None:
    """The same Argon2id cost for a group id that does not exist: the time of the answer does
    not tell which ids exist."""
    derive_key(passphrase, bytes(SALT), kdf_params())


# --- values sealed for the group and about it ----------------------------------------------

def _item_place(public_id: str) -> bytes:
    return f"submission.group_key:{public_id}".encode()


def seal_item_key(group_public: bytes, item_key: ItemKey) -> bytes:
    return seal(group_public, item_key.key, _item_place(item_key.public_id))


def open_item_key(group_private: bytes, public_id: str, sealed: bytes) -> ItemKey:
    return ItemKey(public_id, unseal(group_private, sealed, _item_place(public_id)))


def _profile_place(group: PartnerGroup) -> bytes:
    return f"partner_group.profile:{group.public_id}".encode()


def seal_profile(session: Session, group: PartnerGroup, name: str, contacts: str) -> None:
    """The group's name and its members' contact details, sealed to the identity key."""
    data = json.dumps({"name": name, "contacts": contacts}, ensure_ascii=False, sort_keys=True).encode()
    group.profile_sealed = seal_padded(public_key(session, "identity"), data, _profile_place(group))


def open_profile(keyring: Keyring, group: PartnerGroup) -> dict | None:
    """{"name", "contacts"} for a session holding the identity key; None without it."""
    if not keyring.identity:
        return None
    return json.loads(unseal_padded(keyring.recipient("identity"), group.profile_sealed, _profile_place(group)))


def _source_place(group: PartnerGroup) -> bytes:
    return f"partner_group.source_name:{group.public_id}".encode()


def seal_source_name(session: Session, group: PartnerGroup, name: str | None) -> None:
    """The name the group agreed to be cited by, sealed to the org key; None withdraws it."""
    group.source_name_sealed = (seal_padded(public_key(session, "org"), name.encode(), _source_place(group))
                                if name else None)


def open_source_name(keyring: Keyring, group: PartnerGroup) -> str | None:
    if group.source_name_sealed is None or not keyring.org:
        return None
    return unseal_padded(keyring.recipient("org"), group.source_name_sealed, _source_place(group)).decode()


def _message_place(group: PartnerGroup, message_id: int) -> bytes:
    return f"partner_group_message.body:{message_id}:{group.public_id}".encode()


def seal_message(session: Session, group: PartnerGroup, message_id: int, body: str) -> tuple[bytes, bytes]:
    """An officers' message to the group: (for the group's key, for the org key)."""
    if group.public_key is None:
        raise KeysError("no_keys")
    place, data = _message_place(group, message_id), body.encode()
    return seal_padded(group.public_key, data, place), seal_padded(public_key(session, "org"), data, place)


def open_message_for_group(group_private: bytes, group: PartnerGroup, message_id: int, sealed: bytes) -> str:
    return unseal_padded(group_private, sealed, _message_place(group, message_id)).decode()


def open_message_for_staff(keyring: Keyring, group: PartnerGroup, message_id: int, sealed: bytes) -> str | None:
    if not keyring.org:
        return None
    return unseal_padded(keyring.recipient("org"), sealed, _message_place(group, message_id)).decode()
