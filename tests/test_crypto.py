from __future__ import annotations

import io

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given, settings
from hypothesis import strategies as st

from app.sealed.crypto import SEGMENT, decrypt_field, decrypt_stream, encrypt_field, encrypt_stream, parse_master_key
from config import ConfigurationError


def roundtrip(data: bytes) -> bytes:
    target = io.BytesIO()
    encrypt_stream(io.BytesIO(data), target)
    return b"".join(decrypt_stream(io.BytesIO(target.getvalue())))


@pytest.mark.parametrize("size", [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT + 7])
def test_file_roundtrip_at_segment_edges(app_ctx, size):
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    assert roundtrip(data) == data


def test_truncated_or_altered_file_is_detected(app_ctx):
    target = io.BytesIO()
    encrypt_stream(io.BytesIO(b"a" * (2 * SEGMENT + 10)), target)
    blob = target.getvalue()
    cut = blob[: 12 + SEGMENT + 16]  # drop every segment after the first
    with pytest.raises(InvalidTag):
        list(decrypt_stream(io.BytesIO(cut)))
    flipped = bytearray(blob)
    flipped[100] ^= 1
    with pytest.raises(InvalidTag):
        list(decrypt_stream(io.BytesIO(bytes(flipped))))


@settings(max_examples=30, deadline=None)
@given(st.text())
def test_field_roundtrip_any_text(app, text):
    with app.app_context():
        assert decrypt_field(encrypt_field(text, "ctx"), "ctx") == text


def test_field_is_bound_to_its_context(app_ctx):
    blob = encrypt_field("@handle", "submission.contact")
    assert b"@handle" not in blob
    with pytest.raises(InvalidTag):
        decrypt_field(blob, "attachment.original_name")


@pytest.mark.parametrize("bad", ["not base64!!", "c2hvcnQ="])
def test_bad_master_key_is_a_clear_configuration_error(bad):
    with pytest.raises(ConfigurationError):
        parse_master_key(bad)
