from __future__ import annotations

import io
import os

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given, settings
from hypothesis import strategies as st

from app.sealed import crypto, installation
from app.sealed.crypto import SEGMENT, decrypt_stream, encrypt_stream
from config import ConfigurationError

KEY = b"f" * 32


def roundtrip(data: bytes, padded: bool = True) -> tuple[bytes, int]:
    target = io.BytesIO()
    encrypt_stream(io.BytesIO(data), target, KEY, padded=padded)
    return b"".join(decrypt_stream(io.BytesIO(target.getvalue()), KEY)), len(target.getvalue())


@pytest.mark.parametrize("size", [0, 1, 255, 256, 4095, 4096, 4097, SEGMENT - 1, SEGMENT, SEGMENT + 1,
                                  3 * SEGMENT + 7])
def test_file_roundtrip_at_segment_and_class_edges(size):
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    back, stored = roundtrip(data)
    assert back == data
    assert stored == crypto.encrypted_size(size)  # what a copy shows depends on the class alone
    assert roundtrip(data, padded=False)[0] == data  # files from before padding still open


def test_files_of_one_class_are_stored_at_one_size():
    sizes = {roundtrip(os.urandom(n))[1] for n in range(300_000, 500_000, 37_000)}  # all in the 512 KiB class
    assert len(sizes) == 1


@pytest.mark.parametrize("length, stored", [(0, 256), (255, 256), (256, 512), (4095, 4096), (4096, 8192),
                                            (300_000, 524_288), (crypto.MIB, 2 * crypto.MIB),
                                            (5_100_000, 5 * crypto.MIB)])
def test_size_classes(length, stored):
    assert crypto.padded_length(length) == stored


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=10_000))
def test_padding_round_trips_any_bytes(data):
    padded = crypto.pad(data)
    assert len(padded) == crypto.padded_length(len(data))
    assert crypto.unpad(padded) == data
    assert crypto.aead_decrypt_padded(KEY, crypto.aead_encrypt_padded(KEY, data, b"p"), b"p") == data


def test_values_from_before_padding_still_open_and_padded_ones_do_not_pass_for_them():
    old = crypto.aead_encrypt(KEY, b"an account written before padding", b"place")
    assert crypto.aead_decrypt_padded(KEY, old, b"place") == b"an account written before padding"
    new = crypto.aead_encrypt_padded(KEY, b"text", b"place")
    with pytest.raises(InvalidTag):
        crypto.aead_decrypt(KEY, new, b"place")


def test_truncated_or_altered_file_is_detected():
    target = io.BytesIO()
    encrypt_stream(io.BytesIO(b"a" * (2 * SEGMENT + 10)), target, KEY)
    blob = target.getvalue()
    cut = blob[: 12 + SEGMENT + 16]  # drop every segment after the first
    with pytest.raises(InvalidTag):
        list(decrypt_stream(io.BytesIO(cut), KEY))
    flipped = bytearray(blob)
    flipped[100] ^= 1
    with pytest.raises(InvalidTag):
        list(decrypt_stream(io.BytesIO(bytes(flipped)), KEY))


@settings(max_examples=30, deadline=None)
@given(st.text())
def test_totp_secrets_round_trip(app, text):
    with app.app_context():
        assert installation.open_totp_secret(installation.seal_totp_secret(text)) == text


def test_a_legacy_field_is_bound_to_its_column(app_ctx):
    blob = crypto.aead_encrypt(installation.derive_keys(installation.parse_master_key(
        app_ctx.config["DATA_ENCRYPTION_KEY"])).field, b"@handle", b"submission.contact")
    assert installation.open_legacy_field(blob, "submission.contact") == "@handle"
    with pytest.raises(InvalidTag):
        installation.open_legacy_field(blob, "attachment.original_name")


@pytest.mark.parametrize("bad", ["not base64!!", "c2hvcnQ="])
def test_bad_master_key_is_a_clear_configuration_error(bad):
    with pytest.raises(ConfigurationError):
        installation.parse_master_key(bad)
