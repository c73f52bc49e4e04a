"""A submission's content key and the receipt code: the code derives (Argon2id, the
installation's salt, recorded parameters) a look-up token and a wrapping key; only the right
code opens the key, and nothing stored reveals the code."""
from __future__ import annotations

import json

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import Setting
from app.sealed import sealing
from app.sealed.crypto import KdfParams

codes = st.text(alphabet="0123456789", min_size=16, max_size=16)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(codes, codes)
def test_a_code_opens_only_its_own_content_key(app_ctx, code, other):
    """(The app context is only read from: sharing it between examples is harmless.)"""
    secret = sealing.receipt_secret(db.session, code)
    key = sealing.new_item_key("AB12CD34EF")
    wrapped = secret.wrap(key)
    assert sealing.receipt_secret(db.session, code).lookup == secret.lookup  # the same code finds it again
    assert secret.open("AB12CD34EF", wrapped) == key
    assert code not in secret.lookup and key.key not in wrapped
    with pytest.raises(InvalidTag):
        secret.open("ZZ99ZZ99ZZ", wrapped)  # bound to its submission
    if other != code:
        stranger = sealing.receipt_secret(db.session, other)
        assert stranger.lookup != secret.lookup
        with pytest.raises(InvalidTag):
            stranger.open("AB12CD34EF", wrapped)


def test_the_salt_and_parameters_are_recorded_once(app_ctx, app):
    salt, params = sealing.receipt_kdf(db.session)
    assert (salt, params) == sealing.receipt_kdf(db.session) and len(salt) == 16
    stored = json.loads(db.session.get(Setting, sealing.RECEIPT_KDF).value)
    assert KdfParams.from_json(stored["params"]) == params == KdfParams(*app.config["KEY_KDF"])


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=300), st.text(max_size=80))
def test_item_values_are_bound_to_their_place_and_item(data, place):
    key = sealing.new_item_key("AB12CD34EF")
    blob = key.seal(place or "x", data)
    assert key.open(place or "x", blob) == data
    with pytest.raises(InvalidTag):
        key.open((place or "x") + ".other", blob)
    with pytest.raises(InvalidTag):
        sealing.ItemKey("ZZ99ZZ99ZZ", key.key).open(place or "x", blob)
    assert key.file_key("a" * 32) != key.file_key("b" * 32)
