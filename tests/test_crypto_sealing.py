"""Property tests of the primitives that seal submissions: what goes in comes out with the
right key and place, and nothing comes out with any other key, place or a changed byte."""
from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given, settings
from hypothesis import strategies as st

from app.sealed.crypto import (
    KdfParams,
    aead_decrypt,
    aead_encrypt,
    derive_key,
    generate_keypair,
    hkdf,
    public_key_of,
    random_key,
    seal,
    unseal,
)

FAST = KdfParams(time_cost=1, memory_kib=8, parallelism=1)  # the tests' cost; production uses the defaults
payloads = st.binary(max_size=2048)
places = st.binary(min_size=1, max_size=64)


@settings(max_examples=60, deadline=None)
@given(payloads, places, places)
def test_aead_opens_only_with_its_key_and_place(data, aad, other_aad):
    key = random_key()
    blob = aead_encrypt(key, data, aad)
    assert aead_decrypt(key, blob, aad) == data
    assert len(data) < 8 or data not in blob  # (a few bytes may occur in random output by chance)
    with pytest.raises(InvalidTag):
        aead_decrypt(random_key(), blob, aad)
    if other_aad != aad:
        with pytest.raises(InvalidTag):
            aead_decrypt(key, blob, other_aad)


@settings(max_examples=60, deadline=None)
@given(payloads, places, st.data())
def test_any_changed_byte_is_detected(data, aad, draw):
    key = random_key()
    blob = bytearray(aead_encrypt(key, data, aad))
    position = draw.draw(st.integers(0, len(blob) - 1))
    blob[position] ^= draw.draw(st.integers(1, 255))
    with pytest.raises(InvalidTag):
        aead_decrypt(key, bytes(blob), aad)
    with pytest.raises(InvalidTag):
        aead_decrypt(key, bytes(blob[:-1]), aad)


@settings(max_examples=40, deadline=None)
@given(payloads, places)
def test_sealed_values_open_only_with_the_private_key(data, aad):
    private, public = generate_keypair()
    assert public_key_of(private) == public
    blob = seal(public, data, aad)
    assert unseal(private, blob, aad) == data
    assert seal(public, data, aad) != blob  # a fresh ephemeral key every time: equal inputs look different
    other_private, _ = generate_keypair()
    with pytest.raises(InvalidTag):
        unseal(other_private, blob, aad)
    with pytest.raises(InvalidTag):
        unseal(private, blob, aad + b"x")
    with pytest.raises(InvalidTag):
        unseal(private, blob[:40] + bytes([blob[40] ^ 1]) + blob[41:], aad)


@settings(max_examples=30, deadline=None)
@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_derived_keys_depend_on_secret_salt_and_parameters(secret, other):
    salt, other_salt = b"s" * 16, b"t" * 16
    key = derive_key(secret, salt, FAST)
    assert len(key) == 32 and key == derive_key(secret, salt, FAST)
    assert key != derive_key(secret, other_salt, FAST)
    assert key != derive_key(secret, salt, KdfParams(time_cost=2, memory_kib=8, parallelism=1))
    if other != secret:
        assert key != derive_key(other, salt, FAST)


def test_kdf_parameters_are_recorded_and_read_back():
    params = KdfParams(time_cost=4, memory_kib=131072, parallelism=2)
    assert KdfParams.from_json(params.to_json()) == params
    assert KdfParams() == KdfParams(3, 65536, 1)  # RFC 9106's second recommendation, with one lane


def test_hkdf_separates_purposes():
    key = random_key()
    assert hkdf(key, b"a") != hkdf(key, b"b") and len(hkdf(key, b"a", 16)) == 16
