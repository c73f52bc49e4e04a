"""Trusted timestamps tell a copy of the server nothing (SECURITY.md, "Trusted timestamps").

The attacker sends the same photo twice, through the real forms, and later copies the database
and the upload folder (a batch has been stamped: leaves, root and token are in the copy). They
hold the photo, so they know its SHA-256; they try every 32-byte string in the copy as the salt.
Each protection is also turned off, and the same attack must then succeed."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import TimestampPiece
from app.sealed import commitments
from app.sealed import tsa as tsa_client
from app.services.evidence import timestamps
from tests.helpers import jpeg_with_gps, submit_report


def copy_of_the_server(app) -> list[bytes]:
    """Every value of every row (binary as is, text as UTF-8) and every file: what a copy holds."""
    values = []
    with app.app_context():
        connection = db.session.connection()
        for table in db.metadata.sorted_tables:
            for row in connection.execute(sa.select(table)):
                values += [v if isinstance(v, bytes) else str(v).encode() for v in row if v is not None]
                values += [bytes.fromhex(v) for v in row if isinstance(v, str) and len(v) >= 64
                           and all(c in "0123456789abcdef" for c in v) and len(v) % 2 == 0]
        db.session.rollback()
    values += [p.read_bytes() for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]
    return values


def confirms(values: list[bytes], digest: bytes) -> bool:
    """Whether the copy confirms a piece whose SHA-256 is `digest`: its hash in the clear, or a
    leaf hash that some 32-byte string of the copy (or no salt) turns it into."""
    windows = {v[i:i + 32] for v in values for i in range(max(len(v) - 31, 0))}
    if digest in windows:
        return True
    return any(commitments.leaf_for(salt, digest) in windows for salt in (b"", bytes(32), *windows))


def send_the_same_photo_twice_and_stamp(app, tsa) -> bytes:
    photo = jpeg_with_gps()
    for _ in range(2):
        assert submit_report(app.test_client(), narrative="같은 사진", files=[("사진.jpg", photo)],
                             keep_metadata="y").status_code == 200
    with app.app_context():
        leaves = db.session.scalars(sa.select(TimestampPiece.leaf_hash).where(TimestampPiece.kind == "file")).all()
        assert len(leaves) == 2 and leaves[0] != leaves[1]  # identical pieces, unrelated leaves
        result = timestamps.run(db.session, [tsa.url], tsa_client.load_anchors(tsa.ca_file), timeout=5)
        assert result.outcome == "stamped" and result.pieces == 4
    return photo


def test_a_known_photo_cannot_be_confirmed_from_a_copy(app, tsa):
    photo = send_the_same_photo_twice_and_stamp(app, tsa)
    assert not confirms(copy_of_the_server(app), hashlib.sha256(photo).digest())


@pytest.mark.parametrize("mutant", ["salt in the clear", "one salt for all"])
def test_without_the_protection_the_copy_confirms_the_photo(app, tsa, monkeypatch, mutant):
    if mutant == "salt in the clear":
        monkeypatch.setattr(commitments, "seal_padded", lambda public, salt, place: salt)
    else:
        monkeypatch.setattr(commitments.os, "urandom", lambda n: bytes(n))
        with pytest.raises(AssertionError):  # the two leaves are equal now
            send_the_same_photo_twice_and_stamp(app, tsa)
        photo = jpeg_with_gps()
        assert confirms(copy_of_the_server(app), hashlib.sha256(photo).digest())
        return
    photo = send_the_same_photo_twice_and_stamp(app, tsa)
    assert confirms(copy_of_the_server(app), hashlib.sha256(photo).digest())
