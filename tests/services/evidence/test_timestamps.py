"""Trusted timestamps with a real authority (tests/tsa.py: `openssl ts -reply` on 127.0.0.1):
reports and files sent through the real forms get salted commitments, a batch's root is
stamped, each piece's proof verifies (ours and `openssl ts -verify`), and every answer that is
not a valid token over what we asked is refused and not kept."""
from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Attachment, AuditEvent, Submission, TimestampBatch, TimestampPiece
from app.models.base import utcnow
from app.models.timestamps import STAMPED, WAITING
from app.sealed import commitments
from app.sealed import tsa as tsa_client
from app.sealed.vault import open_for_staff
from app.services import timestamp_queue
from app.services.evidence import timestamps
from app.services.files.attachments import read_bytes
from tests.helpers import jpeg_with_gps, submit_report
from tests.tsa import OPENSSL


def run(app, authority, **kwargs):
    with app.app_context():
        anchors = tsa_client.load_anchors(authority.ca_file)
        return timestamps.run(db.session, [authority.url], anchors, timeout=5, **kwargs)


def pieces(app) -> list[TimestampPiece]:
    return db.session.scalars(sa.select(TimestampPiece).order_by(TimestampPiece.id)).all()


def piece_bytes(app, keyring, piece: TimestampPiece) -> bytes:
    """The exact bytes a piece committed to, recovered the way a case file will."""
    item = db.session.get(Submission, piece.submission_id)
    key = open_for_staff(keyring, item)
    if piece.kind == "account":
        return commitments.open_account(key, piece)
    attachment = db.session.get(Attachment, piece.attachment_id)
    return read_bytes(attachment, app.config["UPLOAD_DIR"], key)


def test_a_report_and_its_photo_are_stamped_and_each_proof_verifies(app, client, tsa, org_keys, tmp_path):
    photo = jpeg_with_gps()
    response = submit_report(client, narrative="함경북도 보위부에서 있었던 일", files=[("사진.jpg", photo)])
    assert response.status_code == 200
    result = run(app, tsa)
    assert result.outcome == "stamped" and result.pieces == 2
    with app.app_context():
        batch = db.session.scalar(sa.select(TimestampBatch))
        assert batch.status == STAMPED and batch.tree_size == 3 and batch.tsa_url == tsa.url  # and the audit head
        found = timestamps.proofs(org_keys.keyring, pieces(app))
        anchors = tsa_anchors(tsa)
        kinds = set()
        for piece in pieces(app):
            data = piece_bytes(app, org_keys.keyring, piece)
            proof = found[piece.id]
            assert set(proof) == {"salt", "leaf_index", "tree_size", "path", "root", "token", "tsa", "time"}
            assert timestamps.check_proof(proof, hashlib.sha256(data).digest(), anchors) == batch.stamped_at
            with pytest.raises(ValueError):  # another piece's bytes do not fit this proof
                timestamps.check_proof(proof, hashlib.sha256(data + b" ").digest(), anchors)
            kinds.add(piece.kind)
            if piece.kind == "account":
                account = json.loads(data)
                assert account["texts"]["narrative"] == "함경북도 보위부에서 있었던 일"
                assert "contact" not in json.dumps(account["texts"])  # contact details stay under the identity key
            else:
                assert photo != data and b"PhoneMaker" not in data  # the file as kept, metadata removed
        assert kinds == {"account", "file"}
        assert timestamp_queue.status(db.session).oldest is None
    # OpenSSL agrees: the token is over SHA-256 of the root, signed by the trusted authority.
    (tmp_path / "token.tsr").write_bytes(proof["token"])
    (tmp_path / "root.bin").write_bytes(bytes.fromhex(proof["root"]))
    checked = subprocess.run([OPENSSL, "ts", "-verify", "-in", str(tmp_path / "token.tsr"), "-data",
                              str(tmp_path / "root.bin"), "-CAfile", tsa.ca_file], capture_output=True, text=True)
    assert "Verification: OK" in checked.stdout, checked.stderr


def tsa_anchors(authority):
    return tsa_client.load_anchors(authority.ca_file)


def test_an_authority_that_is_down_never_blocks_intake_and_the_batch_is_stamped_when_it_is_back(app, client, tsa):
    tsa.mode = "refuse"
    assert submit_report(client, narrative="첫 번째").status_code == 200
    now = utcnow()
    failed = run(app, tsa, now=now)
    assert failed.outcome == "failed" and failed.next_attempt_at == now + timedelta(minutes=5)
    assert "unreachable" in failed.errors[0]
    assert submit_report(client, narrative="두 번째, 기다리는 동안").status_code == 200  # intake goes on
    with app.app_context():
        batch = db.session.scalar(sa.select(TimestampBatch))
        assert batch.status == WAITING and batch.token is None and batch.attempts == 1
        queue = timestamp_queue.status(db.session)
        assert queue.waiting == 2 and queue.oldest is not None and queue.attempts == 1
    asked = len(tsa.received)
    assert run(app, tsa, when_due=True, now=now + timedelta(minutes=2)).outcome == "waiting"
    assert len(tsa.received) == asked  # its backoff is respected: nobody was asked
    tsa.mode = "error"
    again = run(app, tsa, when_due=True, now=now + timedelta(minutes=6))
    assert again.outcome == "failed" and "HTTP 503" in again.errors[0]
    assert again.next_attempt_at == now + timedelta(minutes=16)  # 10 minutes after the second attempt
    tsa.mode = "ok"
    stamped = run(app, tsa, when_due=True, now=now + timedelta(minutes=17))
    assert stamped.outcome == "stamped" and stamped.pieces == 2  # the report that came meanwhile joined it
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TimestampBatch)) == 1
        assert timestamp_queue.status(db.session).waiting == 0
    # Nothing new: the next runs make no batch and ask nobody.
    asked = len(tsa.received)
    assert run(app, tsa).outcome == "nothing"
    assert len(tsa.received) == asked


def test_backoff_doubles_up_to_six_hours():
    assert [timestamps.backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (5, 10, 20)]
    assert timestamps.backoff(30) == timedelta(hours=6)


def test_the_timer_makes_a_batch_each_interval_only_when_something_is_new(app, client, tsa):
    submit_report(client)
    now = utcnow()
    assert run(app, tsa, when_due=True, now=now).outcome == "stamped"  # the first batch is due at once
    assert run(app, tsa, when_due=True, now=now + timedelta(hours=2)).outcome == "nothing"
    submit_report(client, narrative="새 제보")
    assert run(app, tsa, when_due=True, now=now + timedelta(minutes=30)).outcome == "not_due"
    assert run(app, tsa, when_due=True, now=now + timedelta(minutes=61)).outcome == "stamped"


@pytest.mark.parametrize("mode", ["wrong-signer", "tamper", "replay", "other-root"])
def test_an_answer_that_is_not_a_valid_token_over_our_root_is_refused_and_not_kept(app, client, tsa, mode):
    if mode == "replay":  # a real token, but for an earlier request (another nonce and root)
        submit_report(client, narrative="앞선 제보")
        assert run(app, tsa).outcome == "stamped"
    submit_report(client)
    tsa.mode = mode
    result = run(app, tsa)
    assert result.outcome == "failed", result
    reason = {"wrong-signer": "certificate verify error", "tamper": "signature failure", "replay": "Nonce mismatch",
              "other-root": "Mismatch between messages"}[mode]
    assert reason in result.errors[0]
    with app.app_context():
        waiting = db.session.scalar(sa.select(TimestampBatch).where(TimestampBatch.status == WAITING))
        assert waiting.token is None and waiting.tsa_url is None and waiting.stamped_at is None
    tsa.mode = "ok"
    assert run(app, tsa).outcome == "stamped"


def test_a_second_authority_is_asked_when_the_first_fails(app, client, tsa):
    submit_report(client)
    with app.app_context():
        result = timestamps.run(db.session, ["http://127.0.0.1:9/nothing-listens", tsa.url],
                                tsa_anchors(tsa), timeout=5)
    assert result.outcome == "stamped" and result.tsa_url == tsa.url


def test_a_token_is_checked_against_the_configured_anchors_only(app, client, tsa):
    """The good authority's token, checked against another CA's root: refused."""
    submit_report(client)
    with app.app_context():
        result = timestamps.run(db.session, [tsa.url], tsa_client.load_anchors(str(tsa.other.ca_file)), timeout=5)
    assert result.outcome == "failed" and "certificate verify error" in result.errors[0]


def known_photo_confirmed(request_or_values: list[bytes], photo_digest: bytes) -> bool:
    """The attack of someone who holds a photo and what we sent or kept: try every 32-byte
    string there (and no salt, and zeros) as the salt, and look for the leaf it would give,
    for that leaf as a one-leaf root, and for the SHA-256 of that root (a request's imprint)."""
    windows = {value[i:i + 32] for value in request_or_values for i in range(max(len(value) - 31, 0))}
    if photo_digest in windows:
        return True
    for salt in [b"", bytes(32), *windows]:
        leaf = commitments.leaf_for(salt, photo_digest)
        if leaf in windows or hashlib.sha256(leaf).digest() in windows:
            return True
    return False


def test_the_request_carries_no_piece_hash(app, client, tsa):
    photo = jpeg_with_gps()
    submit_report(client, files=[("photo.jpg", photo)], keep_metadata="y")  # kept as sent: its hash is known
    assert run(app, tsa).outcome == "stamped"
    with app.app_context():
        batch = db.session.scalar(sa.select(TimestampBatch))
        assert tsa.received[0].count(hashlib.sha256(batch.root).digest()) == 1
    assert not known_photo_confirmed(tsa.received, hashlib.sha256(photo).digest())


def test_without_salt_the_authority_could_confirm_a_known_photo(app, client, tsa, monkeypatch):
    """The check above is real: with the salt fixed (zeros), the request gives the photo away."""
    monkeypatch.setattr(commitments.os, "urandom", lambda n: bytes(n))
    monkeypatch.setattr(timestamps, "audit_head", lambda session: None)  # no audit leaf beside it
    photo = jpeg_with_gps()
    with app.app_context():  # one piece alone in its batch: its leaf is the root
        submit_report(client, files=[("photo.jpg", photo)], keep_metadata="y")
        db.session.execute(sa.delete(TimestampPiece).where(TimestampPiece.kind == "account"))
        db.session.commit()
    assert run(app, tsa).outcome == "stamped"
    assert known_photo_confirmed(tsa.received, hashlib.sha256(photo).digest())


@pytest.mark.parametrize("files", [0, 2, 9])  # trees of 2, 4 and 11 leaves (the audit head last), stamped for real
def test_each_proof_path_is_rfc_9162s(app, client, tsa, org_keys, files):
    photos = [("p.jpg", jpeg_with_gps())] * files
    submit_report(client, files=photos, keep_metadata="y")
    assert run(app, tsa).outcome == "stamped"
    with app.app_context():
        batch = db.session.scalar(sa.select(TimestampBatch))
        leaves = timestamps.batch_leaves(batch)
        assert batch.tree_size == len(leaves) == files + 2
        found = timestamps.proofs(org_keys.keyring, pieces(app))
        for piece in pieces(app):
            proof = found[piece.id]
            salt = bytes.fromhex(proof["salt"])
            digest = hashlib.sha256(piece_bytes(app, org_keys.keyring, piece)).digest()
            assert commitments.leaf_for(salt, digest) == leaves[piece.leaf_index]
            expected = independent_path(leaves, piece.leaf_index)
            assert [bytes.fromhex(p) for p in proof["path"]] == expected
            assert proof["root"] == batch.root.hex() == independent_root(leaves).hex()
        audit = timestamps.audit_proof(batch)
        head = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert (audit["audit_event"], audit["audit_hash"]) == (head.id, head.hash)
        assert hashlib.sha256(b"\x00" + audit["leaf_data"].encode()).digest() == leaves[-1]
        assert [bytes.fromhex(p) for p in audit["path"]] == independent_path(leaves, len(leaves) - 1)


def independent_root(hashes: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 over leaf hashes, recursively."""
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return hashlib.sha256(b"\x01" + independent_root(hashes[:k]) + independent_root(hashes[k:])).digest()


def independent_path(hashes: list[bytes], m: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1, recursively."""
    if len(hashes) == 1:
        return []
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    if m < k:
        return [*independent_path(hashes[:k], m), independent_root(hashes[k:])]
    return [*independent_path(hashes[k:], m - k), independent_root(hashes[:k])]
