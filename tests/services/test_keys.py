"""The organization's keys: created once with a recovery code, granted to accounts under
their passwords, opened only with a code or a password that is not stored anywhere."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import KeyGrant, OrgKey, User
from app.sealed import keys
from app.sealed.crypto import public_key_of
from tests.factories import UserFactory


def table_bytes() -> bytes:
    """Every value of the key tables, as a seized database would show them."""
    rows = db.session.execute(sa.select(OrgKey.public_key, OrgKey.recovery_wrapped, OrgKey.recovery_salt)).all()
    rows += db.session.execute(sa.select(KeyGrant.wrapped, KeyGrant.salt)).all()
    return b"".join(value for row in rows for value in row)


def test_created_keys_open_with_the_recovery_code_only(app_ctx, no_keys):
    keyring, code = keys.create_keys(db.session, "cli")
    assert keyring.org and keyring.identity and keyring.org != keyring.identity
    assert keys.public_key(db.session, "org") == public_key_of(keyring.org)
    assert keyring.org not in table_bytes() and keyring.identity not in table_bytes()
    assert keys.unlock_with_recovery(db.session, code).keys == keyring.keys
    # What people type: lower case, spaces instead of hyphens, O for zero.
    typed = code.lower().replace("-", " ").replace("0", "o")
    assert keys.unlock_with_recovery(db.session, typed).keys == keyring.keys
    with pytest.raises(keys.KeysError) as wrong:
        keys.unlock_with_recovery(db.session, keys.new_recovery_code())
    assert wrong.value.reason == "wrong_code"
    with pytest.raises(keys.KeysError) as again:
        keys.create_keys(db.session, "cli")
    assert again.value.reason == "exists"


def test_grants_follow_the_contact_right(app_ctx, org_keys):
    ids = UserFactory(email="a@example.org", no_keys=True).id, UserFactory(email="b@example.org", no_keys=True).id
    officer, contact = (db.session.get(User, user_id) for user_id in ids)
    keyring = org_keys.keyring
    contact.contact_access = True
    assert keys.grant(db.session, officer, keyring, "officer password", "user:1") == ["org"]
    assert keys.grant(db.session, contact, keyring, "contact password", "user:1") == ["org", "identity"]
    assert keys.unlock(db.session, officer, "officer password").keys == {"org": keyring.org}
    assert keys.unlock(db.session, contact, "contact password").keys == keyring.keys
    assert keyring.org not in table_bytes()
    with pytest.raises(keys.KeysError) as wrong:
        keys.unlock(db.session, officer, "contact password")
    assert wrong.value.reason == "wrong_password"
    assert keys.revoke(db.session, officer, "user:1") == 1
    assert not keys.unlock(db.session, officer, "officer password")
    assert keys.granted_kinds(db.session, contact.id) == ["identity", "org"]


def test_rotating_the_recovery_code_voids_the_old_one(app_ctx, org_keys):
    keyring, old = org_keys.keyring, org_keys.code
    new = keys.rotate_recovery(db.session, keyring, "user:1")
    assert new != old
    assert keys.unlock_with_recovery(db.session, new).keys == keyring.keys
    with pytest.raises(keys.KeysError):
        keys.unlock_with_recovery(db.session, old)
    with pytest.raises(keys.KeysError):
        keys.rotate_recovery(db.session, keys.Keyring({"org": keyring.org}), "user:1")


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=keys.RECOVERY_ALPHABET, min_size=30, max_size=30))
def test_recovery_codes_survive_how_people_copy_them(characters):
    code = keys.normalize_recovery_code(characters)
    assert keys.normalize_recovery_code(code.lower()) == code
    assert keys.normalize_recovery_code(" ".join(code.split("-"))) == code
    assert len(code) == 35 and code.count("-") == 5


def test_keyring_round_trips_through_bytes():
    ring = keys.Keyring({"org": b"o" * 32, "identity": b"i" * 32})
    assert keys.Keyring.from_bytes(ring.to_bytes()).keys == ring.keys
    assert not keys.Keyring()
